package limiter

import (
	"sync/atomic"
	"time"
)

// window names one of the two fixed UTC windows.
type window int

const (
	hour window = iota
	day
	numWindows
)

// String returns "hour" or "day", the metric label and store key.
func (w window) String() string {
	if w == hour {
		return "hour"
	}
	return "day"
}

// seconds returns the window length.
func (w window) seconds() int64 {
	if w == hour {
		return 3600
	}
	return 86400
}

// startOf returns the Unix second at which the window holding unix
// begins. Unix time has no leap seconds, so truncation gives UTC
// hour and day boundaries.
func (w window) startOf(unix int64) int64 {
	d := w.seconds()
	r := unix % d
	if r < 0 {
		r += d
	}
	return unix - r
}

// epoch is one instance of a window: its start and how many distinct
// series it has admitted.
type epoch struct {
	start int64
	count atomic.Int64
}

// tracker follows the current epoch of one limited window.
type tracker struct {
	kind  window
	limit int64
	cur   atomic.Pointer[epoch]
}

// advance moves the tracker to the epoch holding unix if that one is
// newer than the current epoch. Epochs only move forward: a clock that
// steps back keeps the current epoch. Safe for concurrent use.
func (t *tracker) advance(unix int64) {
	start := t.kind.startOf(unix)
	for {
		ep := t.cur.Load()
		if ep != nil && ep.start >= start {
			return
		}
		if t.cur.CompareAndSwap(ep, &epoch{start: start}) {
			return
		}
	}
}

// reserve takes one slot of ep's budget and reports whether it got one.
// It never lets the count settle above limit.
func (t *tracker) reserve(ep *epoch) bool {
	if ep.count.Load() >= t.limit {
		return false
	}
	if ep.count.Add(1) > t.limit {
		ep.count.Add(-1)
		return false
	}
	return true
}

// usage returns the current epoch's start and count as seen at now; a
// window that has ended without a new admission reads as empty.
func (t *tracker) usage(now time.Time) (start int64, count int64) {
	start = t.kind.startOf(now.Unix())
	ep := t.cur.Load()
	if ep == nil || ep.start < start {
		return start, 0
	}
	return ep.start, ep.count.Load()
}
