package queue

import (
	"fmt"
	"sync"
	"time"
)

// corruptLogEvery is the least time between two Warn lines about records
// skipped at read in one queue; the skips in between are summarised in
// the next line.
const corruptLogEvery = 10 * time.Second

// corruptLog rate-limits the Warn lines about skipped records. Safe for
// concurrent use.
type corruptLog struct {
	mu         sync.Mutex // guards the fields below
	last       time.Time  // when the last line was written
	suppressed uint64     // skips not logged since then
}

// allow reports whether a line may be written at now and, if so, how
// many skips went unlogged before it.
func (c *corruptLog) allow(now time.Time) (ok bool, suppressed uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.last.IsZero() && now.Sub(c.last) < corruptLogEvery {
		c.suppressed++
		return false, 0
	}
	c.last, suppressed, c.suppressed = now, c.suppressed, 0
	return true, suppressed
}

// corruptSkipped counts a record the read path skips at index i (e is
// what readEnvelope returned, err a payload error, if any) and logs it at
// Warn with the queue, the index and the reason, at most once per
// corruptLogEvery. Safe for concurrent use; the read path calls it
// instead of incrementing the counters itself.
func (q *Queue) corruptSkipped(i uint64, e *Envelope, err error) {
	q.corrupt.Add(1)
	q.m.corrupt.Inc()
	ok, suppressed := q.skipLog.allow(time.Now())
	if !ok {
		return
	}
	q.log.Warn("skipped a record that cannot be delivered; it is lost",
		"index", i, "reason", skipReason(i, e, err), "skipped_unlogged_before", suppressed)
}

// skipReason says why the record at i was skipped.
func skipReason(i uint64, e *Envelope, err error) string {
	switch {
	case err != nil:
		return "payload: " + err.Error()
	case e == nil || (e.Index == 0 && e.Kind == 0):
		return "bad envelope (magic, version, length or CRC)"
	case e.Kind == KindTombstone:
		return "tombstone: lost in a repair at start-up"
	case e.Index != i:
		return fmt.Sprintf("envelope carries index %d", e.Index)
	}
	return fmt.Sprintf("record of kind %d is not deliverable", e.Kind)
}
