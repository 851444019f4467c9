package wal

// This file holds the prws patch's read path: no segment's data is kept
// in memory, only the positions of its entries; a read is served from a
// read window, one buffer of up to ReadBufferSize bytes read from the
// segment file with pread at the entry (see PATCH.md).

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// defaultReadBufferSize is the read window's size when
// Options.ReadBufferSize is not set.
const defaultReadBufferSize = 256 << 10

// writeRetain bounds the write buffer kept from one WriteBatch to the
// next, so one large batch does not pin its memory for ever.
const writeRetain = 1 << 20

// window is the read window: bytes [pos, pos+len(buf)) of seg's file.
// Guarded by Log.mu (held for writing: a read moves the window).
type window struct {
	seg *segment
	pos int64
	buf []byte
	// f is the open file of fseg, for reading.
	f    *os.File
	fseg *segment
}

// covers reports whether the window holds bytes [pos, end) of s.
func (w *window) covers(s *segment, pos, end int64) bool {
	return w.seg == s && pos >= w.pos && end <= w.pos+int64(len(w.buf))
}

// drop forgets the window and closes the file it reads; it returns the
// close error.
func (w *window) drop() error {
	var err error
	if w.f != nil {
		err = w.f.Close()
	}
	*w = window{}
	return err
}

// fileOf returns the file to read segment s from, opened once and kept
// while the window reads s. The tail is read through a file of its own
// too, so reads keep working after a write error.
func (l *Log) fileOf(s *segment) (*os.File, error) {
	w := &l.win
	if w.fseg == s {
		return w.f, nil
	}
	if w.f != nil {
		w.f.Close()
		w.f, w.fseg = nil, nil
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil, err
	}
	w.f, w.fseg = f, s
	return f, nil
}

// span returns the bytes [pos, end) of segment s, refilling the window
// from the file when it does not hold them: with the entries that follow,
// up to ReadBufferSize bytes or the end of the segment. The returned
// slice aliases the window and is valid until the next read.
func (l *Log) span(s *segment, pos, end int64) ([]byte, error) {
	w := &l.win
	if !w.covers(s, pos, end) {
		n := max64(end-pos, min64(int64(l.opts.ReadBufferSize), s.size-pos))
		if err := l.fill(s, pos, n); err != nil {
			return nil, err
		}
	}
	return w.buf[pos-w.pos : end-w.pos], nil
}

// fill reads n bytes of segment s at pos into the window.
func (l *Log) fill(s *segment, pos, n int64) error {
	w := &l.win
	f, err := l.fileOf(s)
	if err != nil {
		return err
	}
	size := int64(l.opts.ReadBufferSize)
	buf := w.buf
	if int64(cap(buf)) < n || int64(cap(buf)) > 4*size && n <= size {
		buf = make([]byte, n, max64(n, size)) // a huge entry's buffer is not kept
	}
	w.seg, w.buf = nil, buf[:0]
	if _, err := f.ReadAt(buf[:n], pos); err != nil {
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: %s ends before byte %d", ErrCorrupt, s.path, pos+n)
		}
		return err
	}
	w.seg, w.pos, w.buf = s, pos, buf[:n]
	return nil
}

// loadSegmentEntries finds the positions of s's entries by reading its
// file through the window (only the windows that hold an entry's start
// are read when entries are large), and keeps them in s.epos. s.size is
// the file's size.
func (l *Log) loadSegmentEntries(s *segment) error {
	f, err := l.fileOf(s)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	s.size = fi.Size()
	epos, err := l.scanEntries(s)
	if err != nil {
		return err
	}
	s.epos = epos
	return nil
}

// scanEntries parses the entries of segment s (s.size bytes) window by
// window.
func (l *Log) scanEntries(s *segment) ([]bpos, error) {
	var epos []bpos
	w := &l.win
	for pos := int64(0); pos < s.size; {
		var n int
		err := ErrCorrupt
		if w.seg == s && pos >= w.pos {
			n, err = l.nextEntry(w.buf[pos-w.pos:])
		}
		if err != nil {
			held := int64(0)
			if w.seg == s && pos >= w.pos {
				held = w.pos + int64(len(w.buf)) - pos
			}
			if pos+held >= s.size {
				return nil, ErrCorrupt
			}
			want := max64(int64(l.opts.ReadBufferSize), 2*held)
			if err := l.fill(s, pos, min64(want, s.size-pos)); err != nil {
				return nil, err
			}
			continue
		}
		epos = append(epos, bpos{int(pos), int(pos) + n})
		pos += int64(n)
	}
	return epos, nil
}

// nextEntry returns the length of the entry at the start of data, or
// ErrCorrupt when data does not hold a whole one.
func (l *Log) nextEntry(data []byte) (int, error) {
	if l.opts.LogFormat == JSON {
		return loadNextJSONEntry(data)
	}
	return loadNextBinaryEntry(data)
}

// sectionOf returns a reader of bytes [pos, end) of segment s's file,
// read through a file of its own that the caller closes.
func sectionOf(s *segment, pos, end int64) (io.Reader, *os.File, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return nil, nil, err
	}
	return io.NewSectionReader(f, pos, end-pos), f, nil
}

// atomicWriteSection writes bytes [from, to) of segment s into the file
// name with atomicWrite, reading them from s's file.
func (l *Log) atomicWriteSection(name string, s *segment, from, to int64) error {
	if from >= to {
		return l.atomicWrite(name, eofReader{})
	}
	src, f, err := sectionOf(s, from, to)
	if err != nil {
		return err
	}
	defer f.Close()
	return l.atomicWrite(name, src)
}

// eofReader is an empty io.Reader.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
