package queue

import (
	"fmt"
	"os"
	"time"

	"github.com/tidwall/wal"
)

// Stats is a point-in-time view of a queue.
type Stats struct {
	PendingRecords uint64    // durable records past the acknowledged cursor
	PendingSamples uint64    // their samples, from the cumulative counters
	PendingBytes   int64     // segment file bytes from the acked point (whole segments, ≈)
	Segments       int       // segment files on disk
	OldestPending  time.Time // append time of the oldest pending record; zero when empty
	Corrupt        uint64    // records skipped since open (Inspect: bad records it came across)
}

// Stats reports the queue's backlog. It costs one directory listing and
// at most a few record reads. Safe for concurrent use, also after Close.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	durable, cumDurable := q.durable, q.cumDurable
	q.mu.Unlock()
	q.curMu.Lock()
	acked, cumAcked := q.cur.acked, q.cumAcked
	q.curMu.Unlock()

	st := Stats{Corrupt: q.corrupt.Load()}
	if durable > acked {
		st.PendingRecords = durable - acked
		st.PendingSamples = cumDurable - min(cumAcked, cumDurable)
	}
	if segs, err := q.segments(); err == nil {
		st.Segments, st.PendingBytes = len(segs), pendingBytes(segs, acked, durable)
	}
	if st.PendingRecords > 0 {
		q.readMu.Lock()
		if l := q.wlog; l != nil {
			if e, ok := firstValid(walSource{l}, acked+1, durable); ok {
				st.OldestPending = time.UnixMilli(e.AppendedMs)
			}
		}
		q.readMu.Unlock()
	}
	return st
}

// pendingBytes sums the sizes of the segments holding an index above
// acked; last is the log's last index.
func pendingBytes(segs []segFile, acked, last uint64) int64 {
	var n int64
	for k, s := range segs {
		end := last
		if k+1 < len(segs) {
			end = segs[k+1].index - 1
		}
		if end > acked && end >= s.index {
			n += s.size
		}
	}
	return n
}

// Inspect computes a queue directory's Stats from its files without
// modifying anything: it works on the directory of a stopped daemon, even
// one with a torn tail (the torn part counts as not written). It parses
// at most the tail segment(s) and the segment holding the cursor.
func Inspect(dir string) (Stats, error) {
	if _, err := os.Stat(dir); err != nil {
		return Stats{}, fmt.Errorf("inspect queue: %w", err)
	}
	lst, err := listSegments(dir)
	if err != nil {
		return Stats{}, fmt.Errorf("inspect queue %s: %w", dir, err)
	}
	cur, found, err := readCursor(dir)
	if err != nil {
		return Stats{}, fmt.Errorf("inspect queue %s: %w", dir, err)
	}
	src := &fileSource{segs: lst.segs, loaded: -1}
	first, last, err := src.bounds()
	if err != nil {
		return Stats{}, fmt.Errorf("inspect queue %s: %w", dir, err)
	}
	acked := first - 1
	if found {
		acked = min(max(cur.acked, first-1), last)
	}
	st := Stats{Segments: len(lst.segs), PendingBytes: pendingBytes(lst.segs, acked, last)}
	if last > acked {
		st.PendingRecords = last - acked
		cumLast, cumAcked := cumThrough(src, first, last, last), cumThrough(src, first, last, acked)
		st.PendingSamples = cumLast - min(cumAcked, cumLast)
		if e, ok := firstValid(src, acked+1, last); ok {
			st.OldestPending = time.UnixMilli(e.AppendedMs)
		}
	}
	st.Corrupt = src.corrupt
	return st, nil
}

// recordSource reads records by index: the live wal or the files.
type recordSource interface {
	// record returns the record at i; ok is false for a bad record.
	record(i uint64) (e Envelope, ok bool, err error)
}

// walSource reads through an open wal. Callers hold readMu.
type walSource struct{ l *wal.Log }

func (s walSource) record(i uint64) (Envelope, bool, error) { return readEnvelope(s.l, i) }
