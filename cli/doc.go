// Package cli is prws' command line: the daemon's flags (including the
// original prom-remote-write-shard's, accepted for compatibility) turned
// into a config.Config for `prws run`, and the operator commands `prws
// queues`, `ring`, `deadletter` and `limiter` with their tables and
// --json output.
//
// Every operator command asks the running daemon's admin API (package
// adminapi's client) when one holds the data dir's LOCK, and otherwise
// works on the stopped data dir itself through package dataops, holding
// the LOCK when it changes anything. Both paths print the same shapes
// the same way.
//
// Run is the whole command line, for main; it blocks while the daemon
// runs, until SIGINT or SIGTERM. The package keeps no global state: the
// version and the output writers are passed in.
package cli
