// Package backoff computes the waits between retries of a failing
// operation: capped exponential backoff with jitter, honouring a wait the
// server asked for (HTTP Retry-After).
//
// # Concurrency
//
// A Backoff is not safe for concurrent use; each retry loop (one replay
// worker) owns its own. It never sleeps itself: Next returns a duration and
// the caller decides how to wait, so a shutdown can interrupt the wait.
//
// # Guarantees
//
// Every wait returned lies in [Min, Max] when computed, and in
// (0, RetryAfterMax] when a server asked for it. Randomness is injected
// (Options.Rand), so a test gets the same sequence on every run.
package backoff
