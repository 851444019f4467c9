package wal

// This file holds the prws patch's additions for durability; see
// PATCH.md.

import (
	"errors"
	"fmt"
	"os"
)

// ErrFailed is returned (wrapped, with the first error) by every write,
// Sync and truncation after a write or fsync of this Log failed. After a
// failed fsync the kernel may have dropped the dirty pages of the file
// and marked them clean, so a later fsync could report success for a
// file with a hole: the instance is never written again. Close it and
// Open the log anew (with NewTailOnOpen, to write into a new file).
var ErrFailed = errors.New("log failed on an earlier write or fsync")

// failedErr is ErrFailed with the error that caused it.
func (l *Log) failedErr() error {
	return fmt.Errorf("%w: %v", ErrFailed, l.failed)
}

// noteFailure records err as the Log's failure when it is the first one
// and came from the file system (ErrOutOfOrder is the caller's mistake
// and changes nothing), and returns it unchanged. Callers hold l.mu for
// writing.
func (l *Log) noteFailure(err error) error {
	if err != nil && l.failed == nil && !errors.Is(err, ErrOutOfOrder) {
		l.failed = err
	}
	return err
}

// syncDir fsyncs a directory, making the creations, renames and removals
// of names in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// SegmentInfo describes one segment file of an open Log.
type SegmentInfo struct {
	Index uint64 // first index of the segment
	Path  string // absolute path of the file
	Size  int64  // bytes in the file
}

// Segments returns the segment files of the log in ascending index
// order, as the Log knows them (no directory listing). The last one is
// the tail that writes go to. The returned slice is the caller's. Safe
// for concurrent use with every other method.
func (l *Log) Segments() ([]SegmentInfo, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return nil, ErrClosed
	}
	out := make([]SegmentInfo, len(l.segments))
	for i, s := range l.segments {
		out[i] = SegmentInfo{Index: s.index, Path: s.path, Size: s.size}
	}
	return out, nil
}
