// Package adminapi is the wire contract of prws' admin API: the JSON
// shapes served under /api/v1/ (queues, ring, status, limiter, dead
// letters), the endpoint paths, and the client the CLI uses to call a
// running daemon.
//
// QueueStatus is one (backend, shard) queue as the API serves it, the
// backend's own figures (state, last error, send rate, drain ETA, dead
// letters) repeated on each shard; GroupQueues turns them into one record
// per backend with its shards under it, which `prws queues --json`
// prints. The same shapes describe a stopped data dir (package dataops
// computes them there), with Source "data-dir".
//
// The package holds no state and touches no disk: its types are plain
// values, safe to copy and share. Get and Post block for one HTTP round
// trip (bounded by a timeout); Post returns ErrDisabled when the daemon
// refuses a state-changing endpoint that was not enabled. URLs in these
// shapes are always redacted by whoever fills them.
package adminapi
