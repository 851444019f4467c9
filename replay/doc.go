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
// Request once, before its first attempt, so retries stay byte-identical:
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
// batch from its Source, POSTs its snappy block (a 2.0 backend gets the
// conversion, made once per batch), and hands the answer to Classify, the one place that decides its fate:
//
//   - 2xx: delivered; the batch is acknowledged and the cursor advances.
//   - 5xx, 429, 408, 401, 403, network errors and timeouts: retried with
//     capped exponential backoff and jitter (internal/backoff), honouring
//     Retry-After, forever. A retryable error never drops data; a wrong
//     password is fixed by the operator and the data is still there.
//   - any other 4xx: the batch can never succeed; it is written to the
//     backend's dead-letter log, counted, logged and acknowledged.
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
// # Concurrency
//
// A worker runs one goroutine and keeps exactly one batch in flight, so
// batches reach a backend shard in queue order. The shard workers of one
// backend share a *BackendState (health, last error, send rate) and all
// workers share one *Metrics; both are safe for concurrent use.
//
// # Guarantees
//
// Delivery is at-least-once. Retries of a batch send byte-identical
// bodies. A batch is acknowledged only after a 2xx or after it is durably
// in the dead-letter log; Stop leaves the in-flight batch unacknowledged,
// so the next start sends it again with the same boundaries. If Stop
// interrupts the acknowledgement of a dead-lettered batch, the next start
// dead-letters it a second time.
//
// URLs are redacted (RedactURL) before they reach logs, metrics, errors
// or Status; backend names given in Endpoint.Name are trusted to be
// redacted already.
package replay
