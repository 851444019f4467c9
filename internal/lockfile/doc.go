// Package lockfile makes sure one prws process at a time uses a data
// directory, and lets others find out which process that is.
//
// Acquire takes an exclusive flock(2) on DATA/LOCK and writes a small JSON
// record (pid, listen address, start time) into it; Release drops the lock.
// The lock belongs to the open file description, so it is released by the
// kernel when the process dies however it dies — a stale LOCK file never
// blocks a restart — and two Acquire calls on the same directory conflict
// even inside one process.
//
// Read tells whether a live process holds the lock and returns the record
// it wrote, which the CLI uses to find a running daemon's admin address.
//
// Concurrency: a *Lock is safe for concurrent use. Acquire and Read may be
// called from any goroutine and never block for long: Acquire retries a
// contended lock for at most RetryWindow, to ride over a concurrent Read,
// which holds a shared lock for a few microseconds.
//
// Guarantees and limits: flock is advisory and is not reliable on some
// network file systems; the data directory must be on a local file system.
// The record is rewritten in place, so a Read racing with an Acquire may
// see it empty or torn; Read then reports the holder with ErrNoInfo.
package lockfile
