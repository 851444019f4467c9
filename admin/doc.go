// Package admin is prws's admin JSON API and its client: the shapes
// served under /api/v1/ by a running daemon, the same shapes computed from
// the data dir of a stopped one, and their rendering for the CLI.
//
// QueueStatus is one (backend, shard) queue as the API serves it, the
// backend's own figures (state, last error, send rate, drain ETA, dead
// letters) repeated on each shard; GroupQueues turns them into one record
// per backend with its shards under it, which `prws queues --json`
// prints. Post returns ErrDisabled when the daemon refuses a
// state-changing endpoint that was not enabled.
//
// Reading is read-only with respect to the data dir; the offline
// operations (drop, move, dead-letter replay and purge) change it only
// under the data dir's LOCK. URLs are
// always redacted before they reach a response.
package admin
