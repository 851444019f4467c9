// Package router is the consistent-hash ring of prws: it decides which
// backends a series is written to and which shard of each backend's queue
// it lands in.
//
// The package is pure: no I/O, no clocks, no package-level state. The same
// inputs give the same answer in every process and on every platform, so
// several prws instances behind a load balancer route a series identically.
//
// # Hashing
//
// A Hasher turns the sorted labels of a series into a 64-bit routing hash.
// With KeySeries the hash is xxhash over "name 0xff value 0xff" for every
// label. That is the hash labels.Labels.Hash() computes in the slicelabels
// and dedupelabels builds of the Prometheus model and HashForLabels computes
// in every build; the default stringlabels build's Hash() hashes its
// internal varint encoding instead, so prws never calls it: routing must
// not change with a dependency's build tag. With KeyMetric only the
// __name__ label is hashed, as the one-label set {__name__=value}; a series
// without __name__ hashes as the empty label set. A Hasher is owned by one goroutine and does not allocate.
//
// # Placement
//
// A Ring uses rendezvous (highest-random-weight) hashing: every backend id
// has a 64-bit seed, every (series hash, backend) pair a score, and a series
// goes to the replicas backends with the highest scores, most preferred
// first. That gives distinct replicas by construction, an answer independent
// of the order of the backend list, and minimal movement: adding one backend
// to N moves about 1/(N+1) of the series, all of them to the new backend;
// removing one moves only the series it held.
//
// LookupAmong is Lookup over the backends a per-series eligibility allows
// (per-backend relabel rules): among them it answers what a ring of those
// backends alone would, healthy ones first, and fewer than replicas
// backends when fewer are eligible.
//
// Health is an input of Lookup, not a global: a backend that is down takes
// no new data and its place goes to the next-best backend of each series,
// so the dead backend's load spreads over all the others. A Ring is
// immutable and safe for concurrent use.
//
// # Identity
//
// BackendID gives a backend URL a stable, fixed-width identity (used as the
// queue directory name) that does not change with credentials. Making a
// URL safe to show is internal/redact's job, not the router's.
package router
