package queue

import (
	"fmt"

	"github.com/tidwall/wal"
)

// maxProbe bounds the records scanned past corrupt ones when looking for
// a valid neighbour (cumulative counts, oldest pending time).
const maxProbe = 1024

// readEnvelope reads the record at index i. ok is false when the record
// is corrupt, a tombstone or carries another index; err is a wal error.
// The envelope's slices alias the wal's read window (NoCopy): they are
// valid only until the next read of l and must not be modified. Callers
// hold readMu.
func readEnvelope(l *wal.Log, i uint64) (e Envelope, ok bool, err error) {
	defer func() {
		if r := recover(); r != nil { // defence in depth: repair keeps indexes continuous
			err = fmt.Errorf("wal read of index %d: %v: %w", i, r, wal.ErrCorrupt)
		}
	}()
	data, err := l.Read(i)
	if err != nil {
		return Envelope{}, false, err
	}
	e, derr := DecodeRecord(data)
	if derr != nil || e.Index != i || !e.deliverable() {
		return e, false, nil
	}
	return e, true, nil
}

// cumThrough returns the queue's cumulative sample count through index i,
// from the nearest valid record (i itself or before, else the one after)
// within [first, last]. It is exact unless corrupt records sit next to i.
func cumThrough(src recordSource, first, last, i uint64) uint64 {
	for j, n := min(i, last), 0; j >= first && j > 0 && n < maxProbe; j, n = j-1, n+1 {
		if e, ok, _ := src.record(j); ok {
			return e.CumSamples
		}
	}
	if e, ok := firstValid(src, max(i+1, first), last); ok {
		return e.CumSamples - uint64(e.Samples)
	}
	return 0
}

// firstValid returns the first valid record in [from, to], looking at no
// more than maxProbe records.
func firstValid(src recordSource, from, to uint64) (Envelope, bool) {
	for j, n := from, 0; j <= to && n < maxProbe; j, n = j+1, n+1 {
		if e, ok, err := src.record(j); err != nil {
			return Envelope{}, false
		} else if ok {
			return e, true
		}
	}
	return Envelope{}, false
}

// cumThrough reads the cumulative count through i from the open wal.
// Callers hold readMu or own the wal exclusively (open, reopen).
func (q *Queue) cumThrough(i uint64) uint64 {
	return walCumThrough(q.wlog, i)
}

// walCumThrough is cumThrough over an open wal.
func walCumThrough(l *wal.Log, i uint64) uint64 {
	first, last, err := logBounds(l)
	if err != nil {
		return 0
	}
	return cumThrough(walSource{l}, first, last, i)
}
