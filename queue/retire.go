package queue

import (
	"fmt"

	"github.com/tidwall/wal"
)

// retireLocked closes the wal instance that failed (used) and marks the
// log broken: Submit fails fast with cause until the writer goroutine has
// reopened it (reopen). The forming group was encoded against the
// retired log, so it fails too: its waiters are returned for the caller
// to answer. If another path already retired used, it does nothing.
// Callers hold mu (not readMu).
func (q *Queue) retireLocked(cause error, used *wal.Log) []chan<- error {
	if used == nil || used != q.wlog {
		return nil
	}
	q.m.retired.Inc()
	q.log.Error("retiring wal instance after a write error; reopening it from disk", "err", cause)
	forming := q.next
	failed := append([]chan<- error(nil), forming.waiters...)
	forming.reset()

	q.readMu.Lock()
	_ = q.wlog.Close() // this instance is never written again; its error adds nothing
	q.wlog = nil
	q.readMu.Unlock()
	q.brokenErr = cause
	q.retired.Store(true)
	signal(q.kick) // the writer reopens
	return failed
}

// broken reports whether the log is retired and not reopened yet.
func (q *Queue) broken() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.brokenErr != nil && !q.closed
}

// reopen opens a retired log again as after a crash: repair, open,
// indexes and cumulative counts re-derived from what is really on disk.
// That reads the whole backlog, so it runs holding only truncMu (no
// truncation meanwhile) and never mu: a Submit meanwhile fails fast with
// the last error instead of waiting. The result is installed under mu
// and readMu. If it fails, brokenErr holds why and the next Submit wakes
// the writer to try again. Only the writer goroutine calls it.
func (q *Queue) reopen() {
	q.truncMu.Lock()
	defer q.truncMu.Unlock()
	if !q.broken() {
		return
	}
	r, err := q.readLog()
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case err != nil:
		q.brokenErr = err
		q.log.Error("reopening the wal failed; submits fail until it succeeds", "err", err)
	case q.closed:
		_ = r.l.Close()
	default:
		q.installLocked(r)
	}
}

// reread is a log opened from disk by readLog, not yet in use.
type reread struct {
	l           *wal.Log
	first, last uint64
	cum         uint64 // cumulative samples through last
	bytes       int64  // segment bytes
}

// readLog repairs the directory and opens the wal on it (openLog), and
// reads its bounds and cumulative count. The caller owns the result.
func (q *Queue) readLog() (reread, error) {
	l, err := q.openLog()
	if err != nil {
		return reread{}, err
	}
	first, last, err := logBounds(l)
	if err != nil {
		_ = l.Close()
		return reread{}, fmt.Errorf("reopened wal: %w", err)
	}
	return reread{l: l, first: first, last: last, cum: walCumThrough(l, last), bytes: totalBytes(logSegments(l))}, nil
}

// installLocked makes r the queue's log and resets the assigned index
// from it. Callers hold mu; the forming group is empty (retireLocked
// emptied it and admitLocked refused every Submit since).
func (q *Queue) installLocked(r reread) {
	if r.last < q.durable {
		q.log.Error("reopened wal ends before the last fsynced record", "last", r.last, "durable", q.durable)
	}
	q.readMu.Lock()
	q.wlog = r.l
	q.readMu.Unlock()
	q.brokenErr = nil
	q.retired.Store(false)
	q.nextIndex, q.durable = r.last+1, r.last
	q.cumNext, q.cumDurable = r.cum, r.cum
	q.diskBytes.Store(r.bytes)
	q.log.Info("wal reopened", "first", r.first, "last", r.last)
	signal(q.appended)
}
