// Package logthrottle is a slog.Handler that rate-limits repeated
// warnings and errors: a line that repeats (same message, same logger
// attributes such as backend and shard) is written at most once per
// interval; the copies in between are counted, and the count is written
// with the next copy or, when none comes, in a summary line once the
// interval is over. Info and debug lines pass untouched.
//
// A backend that refuses every batch would otherwise write one WARN line
// per batch, thousands a minute, drowning the rest of the log.
//
// A Handler and every handler derived from it (WithAttrs, WithGroup)
// share their counts; all are safe for concurrent use. The summary is
// written from a timer goroutine.
package logthrottle
