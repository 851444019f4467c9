package queue

import (
	"github.com/tidwall/wal"
)

// retireLocked closes the wal instance that failed (used) and reopens the
// log from disk as after a crash: repair, open, indexes and cumulative
// counts re-derived from what is really on disk. The forming group was
// encoded against the retired log, so it fails too: its waiters are
// returned for the caller to answer. If another path already retired
// used, it does nothing. If reopening fails, brokenErr makes every Submit
// fail and retry the reopen. Callers hold mu (not readMu).
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
	if err := q.reopenLocked(); err != nil {
		q.log.Error("reopening the wal failed; submits fail until it succeeds", "err", err)
	}
	return failed
}

// reopenLocked opens the log again after retirement and resets the
// assigned index from it. Callers hold mu; the forming group is empty.
func (q *Queue) reopenLocked() error {
	q.readMu.Lock()
	defer q.readMu.Unlock()
	l, err := q.openLog()
	if err != nil {
		q.brokenErr = err
		return err
	}
	first, last, err := logBounds(l)
	if err != nil {
		_ = l.Close()
		q.brokenErr = err
		return err
	}
	if last < q.durable {
		q.log.Error("reopened wal ends before the last fsynced record", "last", last, "durable", q.durable)
	}
	q.wlog, q.brokenErr = l, nil
	q.nextIndex, q.durable = last+1, last
	q.cumNext = walCumThrough(l, last)
	q.cumDurable = q.cumNext
	q.diskBytes.Store(totalBytes(logSegments(l)))
	q.log.Info("wal reopened", "first", first, "last", last)
	signal(q.appended)
	return nil
}
