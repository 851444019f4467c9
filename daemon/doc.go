// Package daemon wires prws's components into the running service.
//
// New opens, in order: the data-dir lock, the bbolt state file, one queue
// per (backend, shard) — including queue directories of shards beyond the
// current --shard, which are drained but get no new data — the dead-letter
// logs, the replay workers (each backend's HTTP client built from
// --config.file, shared with its watchdog probes), the optional limiter
// and watchdog, and the ingest handler. Start makes them run and serves
// HTTP (TLS and basic auth per --web.config.file); Shutdown undoes it in
// reverse: readiness off and ingest answering 503, in-flight requests
// finished, workers stopped (their unacknowledged batches stay queued),
// queues, state file and lock closed.
//
// # Reload
//
// Reload (SIGHUP, POST /-/reload) re-reads --config.file and swaps the
// backend set without losing queued data; see Reload for what happens to
// unchanged, changed, added and removed backends. The set in use is a
// topology, immutable once published through an atomic pointer: HTTP
// handlers and send hooks read it without locks; Reload and Shutdown are
// serialised by Daemon.mu. Flags are never reloaded: --shard, --shard_key
// and --replica_factor shape the ring and take a restart. A reload is all
// or nothing: the new topology, every client and every added backend's
// queues are built and checked before anything running changes, and a
// refused reload removes the directories it created.
//
// # Admin endpoints
//
// The endpoints that change state are refused with 403 naming their flag
// unless enabled, as in Prometheus: dead-letter replay and purge with
// --web.enable-admin-api, POST /-/reload with --web.enable-lifecycle.
// Read-only endpoints are always served; --web.config.file authentication
// applies before either.
//
// The endpoints' shapes and paths are package adminapi's; what they do to
// queues and dead letters (list, replay, purge) is package dataops', the
// same code `prws` runs on a stopped data dir. The daemon renders no
// tables: that is the CLI's (package cli).
//
// # Logs and metrics
//
// Each replay worker logs through a logthrottle handler: a warning that
// repeats (a dead-lettered batch, a failed send) is written once per 10s
// per queue with the count of the copies left out. prws_build_info and,
// without --watchdog, prws_ring_members (every configured backend) are
// kept here.
//
// # Secrets
//
// The secrets of every configured backend (URL passwords, secret query
// values, basic-auth passwords, credentials, secret-looking headers) are
// scrubbed from every log line the daemon and its components write, from
// errors in the admin API and from reload errors — including backend
// answers that echo request headers.
package daemon
