// Package ingest is the receive side of prws: the HTTP handler that accepts
// Prometheus remote-write 1.0 and 2.0 requests, validates them, routes every series
// onto the (backend, shard) queues chosen by the ring, and answers only once
// those queues report the data durable.
//
// # Hot path
//
// The snappy-decoded body is walked at the protobuf wire level. Each
// TimeSeries is validated in full (wire types of every nested field, label
// rules, a non-empty __name__, native histograms with model/histogram's
// Validate, optional size caps: validate.go), hashed in sorted label
// order, and its raw bytes (tag, length and body exactly as received) are
// copied into the payload of every target it routes to. Concatenated TimeSeries entries are
// themselves a valid WriteRequest, so a queue record can be replayed as is.
// A series whose labels come first in the encoding every sender emits,
// sorted, ASCII and short (the canonical path, canon.go) is validated and
// hashed in one pass over those bytes; every other series, and every
// series the label rules refuse, takes the general walk, which alone
// produces errors, so both accept the same series and hash them alike.
// Series whose labels arrive unsorted are re-emitted with their Label entries
// permuted into order, everything else untouched. Only series that must be
// rewritten (external labels to merge in, Options.ForceSelfTimestamp) take
// the slow path: a full gogo decode, rewrite and re-encode of that one
// series. Before submitting, the request compresses its records itself
// (seal.go, queue.Compress), in its own goroutine rather than under a
// queue's lock, and once per distinct payload: when every series goes to
// every backend, shard s of each backend gets the same records and the
// same block. Per-request scratch (buffers, label offsets, hashers, accumulators)
// lives in a pooled state, so the steady state allocates nothing per series.
// The big buffers (bodies, accumulator payloads and blocks, a 2.0
// request's conversion state) go back to their pools as soon as the
// queues have copied the records, so a request waiting for its fsyncs
// holds none of them: memory follows the requests being worked on, not
// those waiting for a slow disk.
//
// # Relabeling
//
// Routing.Relabel carries Prometheus relabel rules (relabel.go,
// relabelplace.go); nil, the default, leaves every series on the paths
// above, with not one instruction more per series than a nil check. With
// global rules, every series of the request leaves the canonical path:
// its labels are loaded into a reused labels.Builder (no allocation when
// the rules change nothing) and relabel.ProcessBuilder runs on them
// before external labels, the limiter and hashing. A dropped series
// leaves no entry; a rewritten one is re-emitted at the wire level (new
// Label entries, every other field byte for byte) and goes on from there,
// hashed as rewritten. With per-backend rules, pass 2 runs each backend's
// rules on the series as it will be stored: the backends that keep it
// are the only ones the ring may place it on (router.Ring.LookupAmong,
// so replicas stay distinct among them), and a backend whose rules
// rewrite it gets the rewritten bytes. Rules are applied at ingest, so a
// queue holds what its backend will get and a rule change applies to new
// data only. A series every backend drops is stored nowhere; every drop
// is counted (prws_relabel_dropped_series_total{backend,reason},
// prws_relabel_unrouted_series_total). A series the rules leave with an
// invalid label is dropped and counted, not an error of the request.
// The remote-write 2.0 written counts leave out the series relabeling
// drops when a series limiter is configured (its admit log is told of
// them, skipper); without a limiter they count every series received.
//
// # Tenant rate limit
//
// Options.TenantLimiter (tenantlimit.go) caps each tenant's samples per
// second, counted after the global rules and before the series limiter:
// a request over its tenant's token bucket gets 503 with the Retry-After
// of that bucket and touches nothing.
//
// # Remote-write 2.0
//
// The Content-Type picks the schema: none, no proto parameter or
// proto=prometheus.WriteRequest is 1.0, proto=io.prometheus.write.v2.Request
// is 2.0, any other is 415, as is any Content-Encoding but snappy (none is
// taken for snappy, as Prometheus does). A 2.0 body takes the slow path:
// its size once decoded is estimated at the wire
// level first (413 beyond MaxInflightBytes, so a small body cannot explode
// into millions of structs), then it is decoded in full, validated
// (symbols[0] == "", every reference inside the symbols table, labels_refs
// of even length, label names non-empty, unique and valid UTF-8, the label
// caps) and converted to the remote-write 1.0 request it stands for:
// series in order with sorted labels, samples, integer and float native
// histograms, exemplars with their labels, and one MetricMetadata per
// metric family (classic histogram and summary suffixes removed; the
// message conversions and the family table are internal/rw2's, shared
// with replay's 2.0 encoder). Start
// (created) timestamps stay in the field numbers 2.0 gives them (Sample
// field 3, Histogram field 17), unknown fields to a 1.0 decoder; the
// records of a request that has any are queue.KindSeriesST. That request
// is routed as a 1.0 body is (v2place.go), except that every record a
// series goes into also holds, once, the metadata entry of its family:
// metadata reaches every shard and backend its series go to, and any
// batch holds the metadata of its series. Every 2.0 answer after
// content negotiation carries X-Prometheus-Remote-Write-Samples-Written,
// -Histograms-Written and -Exemplars-Written: on 204 the elements of the
// series the limiter admitted, otherwise 0. 1.0 answers carry none.
//
// # Processing order
//
// A request is handled in three passes: (1) decode and validate every series
// and metadata entry, computing hashes; (2) apply the series limiter and the
// ring, filling per-target accumulators split at series boundaries into
// records of at most Options.BatchSamples samples; (3) submit every target's
// records and wait for all of them. Nothing is submitted, and the limiter is
// not consulted, before the whole request has been validated: a bad request
// touches no queue.
//
// # Concurrency
//
// A Handler is safe for concurrent use; each request owns its pooled state.
// The routing (ring, hashers, targets, health) is swapped atomically with
// SetRouting and read once per request, so a request is routed entirely with
// one configuration. Targets and the Limiter must be safe for concurrent use.
//
// # Guarantees
//
// 204 means every target touched by the request reported its records
// durable. Every submit error (queue full, closed, disk full, I/O) becomes
// 503 with Retry-After, as do overload and not-ready states; never 429 and
// never a 2xx that was not earned. Bad input gets 4xx with a message naming
// the series index and label. Once records are submitted the handler waits
// for every done signal even when the client has gone away, so no queue
// writer is left blocked and the answer, though moot, stays truthful.
//
// The metadata entries of a 1.0 request go to every shard of every
// backend, ahead of its series: a 1.0 sender sends metadata apart from the
// series it describes.
//
// Not provided: compression other than snappy, deduplication of series
// repeated within or across requests.
package ingest
