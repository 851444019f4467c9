// Package replay sends the batches of the durable queues to the backend
// TSDBs over Prometheus remote write, retrying until each batch is
// acknowledged.
//
// # Protocols
//
// Queue batches are remote-write 1.0 WriteRequests, already one snappy
// block (queue.Batch.Snappy), and are sent as they are to a 1.0 backend
// (Endpoint.Protocol "v1", the default) — unless the batch holds start
// timestamps (queue.Batch.StartTimestamps, records of remote-write 2.0
// input): 1.0 has no field for them, so the batch is decompressed, sent
// without those fields and every other byte as it was (v2strip.go), and
// the samples and histograms that lost one are counted in
// prws_remote_start_timestamps_dropped_total. For a 2.0 backend ("v2")
// each batch is decompressed and converted to an io.prometheus.write.v2
// Request (internal/rw2's Encoder) once, before its first attempt, so retries stay byte-identical:
// start timestamps back in their 2.0 fields, and on every series the
// metadata of its family — from the batch (2.0 input carries it in every
// record of its series) or, for 1.0 input, whose metadata comes apart,
// the latest the worker saw (remembered per worker, up to 65536
// families; after a restart a resent batch of 1.0 input may lack
// metadata it had, its samples unchanged).
// A backend that answers a 2.0 request with 415, or with a 2xx lacking the
// X-Prometheus-Remote-Write-*-Written headers (a 1.0 receiver that read
// the body as empty), gets the batch again as 1.0 at once, and that
// worker sends 1.0 from then on (logged once; reset on restart).
// Metadata-only batches have no 2.0 form and are acknowledged without a
// request to a 2.0 backend.
//
// # Model
//
// One Worker per queue, that is per (backend, shard). A worker reads a
// batch from its Source (more than one batch's worth at once to a slow
// backend: see Lanes below), POSTs its snappy block (a 2.0 backend gets the
// conversion, made once per batch), and hands the answer to Classify,
// the one place that decides its fate:
//
//   - 2xx: delivered; the batch is acknowledged and the cursor advances.
//   - 5xx, 429, 408, network errors and timeouts: retried with capped
//     exponential backoff and jitter (internal/backoff), honouring
//     Retry-After, forever. A retryable error never drops data.
//   - 4xx that refuse the request whatever it holds (401, 403, 404, 405,
//     406, 410, 411, 414, 415 after the 2.0 fallback, 431, ...): a wrong
//     URL, method or credentials. Retried the same way, and the backend
//     is marked down at once (Result.Down): the operator fixes it and the
//     data is still there.
//   - 400, 409, 413, 422 (Refused): something in the batch is refused.
//
// # Splitting a refused batch
//
// A backend refuses a batch as a whole when any of its samples is bad
// (out of order, too old, too large), and the batch holds the series of
// many senders. So a Refused batch is split (split.go, splitsend.go):
// its body (the 1.0 WriteRequest, decompressed) is divided into its
// top-level entries, the two halves are sent in turn, and a refused half
// is divided again, depth first, left half first, until a part is
// delivered or is a single entry; a refused single series of several
// samples is then divided into parts of its samples (labels in each,
// exemplars with the first) the same way. A refused single sample (or
// entry) is written alone to the dead-letter log with the backend's
// status and message. Delivered ∪ dead-lettered is the batch, each sample
// once; per-series order holds because parts go in batch order. The
// extra requests are bounded: each refused unit (series or sample) costs
// at most two requests per level of the bisection, about 2·log2(n) for n
// entries; prws_remote_batch_splits_total counts the divisions. For a 2.0
// backend each part is converted at send time (with the batch's
// metadata), so the split is the same for both protocols.
//
// The bisection tree is fixed by the batch, so the part in flight alone
// determines what is left to send (the right halves along its path). The
// worker records it in the queue (Source.SetSplit, queue.Split) before
// sending it; after a crash NextBatch returns the batch with that Split
// and the worker sends exactly that part again, then goes on. A part
// delivered but not yet recorded as done is resent (at-least-once, the
// part in flight only); a part dead-lettered just before a crash may be
// dead-lettered twice.
//
// Before the first refusal of a batch is taken for the content's fault,
// the worker sends the backend an empty write request in the same
// protocol (probe.go). Every receiver accepts it; a backend that does not
// refuses everything (a wrong path that answers 400, a receiver that is
// off), which is a backend failure: the batch is retried with backoff,
// the backend marked down and prws_backend_refusing_all set, and nothing
// is split or dead-lettered. A probe answered with a retryable failure is
// retried as that failure.
//
// # Send-rate cap
//
// A SendLimiter (ratelimit.go) caps the samples and, optionally, the
// requests per second a backend is sent, shared by its shard workers: a
// worker reserves a batch's samples before its first attempt and waits
// (Options.Sleep) until the token buckets of golang.org/x/time/rate allow
// it, so a backlog drains at the cap while the queue order, and with it
// the place of live data behind the backlog, is kept. The samples bucket
// holds one second of the cap, and at least one batch; a larger record is
// reserved in bucket-sized parts. Retries are not charged again (backoff
// governs them). The time waited is prws_remote_rate_limited_seconds_total.
//
// # Lanes: several requests in flight, each series in order
//
// With one request in flight a queue moves at most BatchSamples samples
// per round trip, which caps it far below what a distant or loaded
// backend can take. So with Options.MaxInFlight above 1 (the daemon's
// --remote_write_max_in_flight, default 4), once the backend's answers
// take, even the fastest of the last 64 to 128 (minRTT), wideFactor (10)
// times as long as dividing a batch costs (about divideCost, 0.2 µs, a
// sample: 10 ms for 5000 samples), the worker may ask its Source for up to
// BatchesInFlight(MaxInFlight) batches' worth of samples at once (wide.go);
// it starts once a whole wide read's worth is waiting behind a batch
// (queue.Batch.Waiting), goes on while anything is waiting behind a wide
// read, and keeps doing so only while that delivers at least wideGain
// (50 %) faster than one batch at a time, measured on full batches and
// tried again every exploreEvery (64) full batches (pace.go). So a queue
// that keeps up one batch at a time, its batches full only because each
// round trip gathers the next, stays narrow. A backend slow because it
// is busy on the same cores usually answers some requests fast (so its
// minRTT stays low) or no faster with lanes, and is left the CPU dividing
// would take. When the host's cores are saturated and the queues fall
// behind, such a backend may still seem slow enough, and lanes would then
// only move CPU from ingest to the queue going wide; a worker whose
// backend runs on this host (its URL names localhost, a loopback address
// or an address of the host) therefore reads one batch at a time while
// Options.Host reports less than a quarter of a core idle (hostcpu.go).
// A backend elsewhere may go wide on a busy host: its latency, not the
// host's cores, is what lanes overlap. Options.Lanes, a LaneBudget shared by every worker of the
// process (the daemon's --remote_write_max_lane_queues), bounds how many
// workers go wide at once: a worker takes a share before its first wide
// read and gives it back with the lanes' buffers, and reads one batch at
// a time while none is free (lanebudget.go). So when many queues fall
// behind together, on a saturated host, the lanes' memory and CPU stay
// bounded.
// A batch holding more than BatchSamples samples is divided into lanes
// (lanes.go): a series goes to the lane of the xxhash of its label
// fields, so the lanes hold disjoint series, about BatchSamples samples
// each; metadata goes to every lane. MaxInFlight senders send the lanes
// in parallel, each taking the next lane once its last is settled, and
// the next batch is read only when every lane of this one is settled, so
// each series reaches the backend in order. A refused lane is split like
// a refused batch, after the parallel phase, one lane after the other in
// lane order, and the split's position carries the lane
// (queue.Split.Lane, Lanes): after a crash the batch is divided again the
// same way, the lane's split resumes at the part in flight, lanes before
// it are done and lanes after it are sent again. A batch is resent whole,
// with its bounds, after a crash in the parallel phase, so a crash
// resends at most BatchesInFlight batches' worth per queue. A caught-up
// queue (batches of at most BatchSamples samples) sends one request at a
// time, as without lanes, and frees what the lanes held keepLanes (5 s)
// after its last batch sent as lanes, also while it waits for data; a
// queue going in and out of lanes meanwhile reuses them.
//
// # Concurrency
//
// A worker runs one goroutine and keeps one batch in flight (sent as one
// request or as lanes, see above), so batches reach a backend shard in
// queue order. The shard workers of one backend share a *BackendState
// (health, last error, send rate) and all workers share one *Metrics;
// both are safe for concurrent use.
//
// # Guarantees
//
// Delivery is at-least-once. Retries of a batch, or of a part, send
// byte-identical bodies. A batch is acknowledged only once every part is
// delivered or durably in the dead-letter log; Stop leaves the in-flight
// batch unacknowledged, so the next start sends it again with the same
// boundaries, from the part in flight. If Stop interrupts a split right
// after a part was dead-lettered, the next start dead-letters it a second
// time.
//
// URLs are redacted (internal/redact) before they reach logs, metrics, errors
// or Status; backend names given in Endpoint.Name are trusted to be
// redacted already.
package replay
