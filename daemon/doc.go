// Package daemon wires prws's components into the running service.
//
// New opens, in order: the data-dir lock, the bbolt state file, one queue
// per (backend, shard) — including queue directories of shards beyond the
// current --shard, which are drained but get no new data — the dead-letter
// logs, the replay workers, the optional limiter and watchdog, and the
// ingest handler. Start makes them run and serves HTTP; Shutdown undoes it
// in reverse: readiness off and ingest answering 503, in-flight requests
// finished, workers stopped (their unacknowledged batches stay queued),
// queues, state file and lock closed.
//
// A Daemon is driven by one goroutine (main); its HTTP handlers and
// workers run concurrently and only read what New built.
package daemon
