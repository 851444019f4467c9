// Package readback proves, against Prometheus' own receive path and
// storage, that a backend behind prws stores what it would store had the
// sender written to it directly. Its test runs everything in-process but
// prws itself: each backend is Prometheus' storage/remote write handler
// (remote-write 1.0 and 2.0 accepted, type-and-unit labels and metadata
// records on) over a tsdb opened in a temporary directory (native
// histograms, exemplars, start timestamps stored and ingested as zero
// samples), and prws is the binary, with two such backends at replica
// factor 2 over several shards. A data set of every kind of data
// remote-write carries is sent as 1.0 and as 2.0, directly to reference
// backends and through prws, then read back through Prometheus' querier,
// exemplar querier and write-ahead log and compared: equal for 2.0
// backends, equal to what a 1.0 sender writing directly would have stored
// for 1.0 backends. A second test drains a data dir written by the
// previous release (testdata/prev-release; TestWritePrevFixture rewrites
// it from a binary of that release) into both kinds of backend. They need
// nothing installed, so they never skip.
package readback
