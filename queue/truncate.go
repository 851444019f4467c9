package queue

import (
	"errors"
	"time"

	"github.com/tidwall/wal"
)

// maybeTruncate removes acknowledged segments lazily: once whole segments
// below the persisted cursor number at least Options.TruncateSegments, it
// truncates the wal's front to the first index of the segment holding
// acked+1 (one is enough under disk-budget pressure); when the queue is
// fully drained and spans more than one
// segment, it empties the log. Only the persisted cursor counts, so a
// crash never finds records missing that the cursor still wants. Safe for
// concurrent use; a call finding another one running returns at once.
func (q *Queue) maybeTruncate() {
	if !q.truncMu.TryLock() {
		return
	}
	defer q.truncMu.Unlock()
	q.curMu.Lock()
	acked := q.saved.acked
	q.curMu.Unlock()
	if acked == q.lastTrunc {
		return
	}
	q.lastTrunc = acked
	q.lastListed.Store(time.Now().UnixNano())
	q.mu.Lock()
	last := q.durable
	q.mu.Unlock()
	segs, err := q.segments()
	if err != nil {
		q.log.Warn("listing segments for truncation failed", "err", err)
		return
	}
	if target := truncateTarget(segs, acked, last, q.minTruncateSegments()); target != 0 {
		q.truncateFront(target, segs)
	}
}

// minTruncateSegments is Options.TruncateSegments, or 1 while the queue
// uses more than half of its MaxBytes budget (free space beats saving a
// segment copy then).
func (q *Queue) minTruncateSegments() int {
	if max := q.opts.MaxBytes; max > 0 && q.diskBytes.Load() > max/2 {
		return 1
	}
	return q.opts.TruncateSegments
}

// truncateEvery is how often NextBatch looks for segments to remove: the
// directory listing was the costliest step of forming a batch, and
// segments are removed a few at a time anyway. The ack flusher (once
// replay rests for Options.AckFlushInterval) and a disk-budget drop look
// at once.
const truncateEvery = 100 * time.Millisecond

// maybeTruncateEvery is maybeTruncate at most once per interval, counted
// from the last call that got as far as listing the directory.
func (q *Queue) maybeTruncateEvery(interval time.Duration) {
	now := time.Now().UnixNano()
	if now-q.lastListed.Load() < int64(interval) {
		return
	}
	q.maybeTruncate()
}

// truncateTarget returns the index TruncateFront should be called with,
// or 0 for none. segs must be ascending.
func truncateTarget(segs []segFile, acked, last uint64, minSegments int) uint64 {
	if len(segs) == 0 {
		return 0
	}
	if acked >= last {
		if len(segs) > 1 {
			return last + 1
		}
		return 0
	}
	k := 0
	for k+1 < len(segs) && segs[k+1].index <= acked+1 {
		k++
	}
	if k >= minSegments {
		return segs[k].index
	}
	return 0
}

// truncateFront runs the wal truncation; segs is a current listing of
// the segment files. The data of the removed files is freed after the
// wal's lock is released (see trash.go). A failed truncation leaves the
// wal instance unusable, so it is retired like after a write error.
func (q *Queue) truncateFront(target uint64, segs []segFile) {
	doomed := linkDoomed(q.dir, segs, target)
	defer emptyTrash(doomed)
	q.readMu.Lock()
	l := q.wlog
	var err error
	if l != nil {
		err = l.TruncateFront(target)
	}
	q.readMu.Unlock()
	if l == nil {
		return
	}
	if err != nil {
		q.log.Error("truncating acknowledged segments failed", "target", target, "err", err)
		q.mu.Lock()
		failed := q.retireLocked(err, l)
		q.mu.Unlock()
		for _, w := range failed {
			w <- classifyWriteErr(q.opts.Name, err)
		}
		return
	}
	q.readMu.Lock()
	if q.wlog == l {
		q.diskBytes.Store(totalBytes(logSegments(l)))
	}
	q.readMu.Unlock()
	q.log.Debug("truncated acknowledged segments", "first", target)
}

// segments returns the segment files of the open log, ascending, with
// sizes, as the wal knows them (no directory listing). Callers must not
// hold mu or readMu.
func (q *Queue) segments() ([]segFile, error) {
	q.readMu.Lock()
	defer q.readMu.Unlock()
	if q.wlog == nil {
		return nil, errors.New("log unavailable")
	}
	return logSegments(q.wlog), nil
}

// logSegments converts the wal's segment list; nil when l is closed.
func logSegments(l *wal.Log) []segFile {
	infos, err := l.Segments()
	if err != nil {
		return nil
	}
	segs := make([]segFile, len(infos))
	for k, s := range infos {
		segs[k] = segFile{index: s.Index, path: s.Path, size: s.Size}
	}
	return segs
}

// totalBytes sums the sizes of segs.
func totalBytes(segs []segFile) int64 {
	var n int64
	for _, s := range segs {
		n += s.size
	}
	return n
}
