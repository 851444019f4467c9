package queue

import (
	"os"
)

// fileSource reads records straight from segment files, read-only, for
// Inspect. It keeps one parsed segment in memory. Not safe for concurrent
// use.
type fileSource struct {
	segs    []segFile
	loaded  int      // index into segs of the parsed segment; -1 none
	entries [][]byte // entries of the unbroken prefix of segs[loaded]
	bad     map[uint64]struct{}
	corrupt uint64
}

// bounds returns the first index and the last index a repair would keep
// (the tail cut after its last valid record).
func (s *fileSource) bounds() (first, last uint64, err error) {
	s.loaded = -1
	if len(s.segs) == 0 {
		return 1, 0, nil
	}
	tail := s.segs[len(s.segs)-1]
	data, err := os.ReadFile(tail.path)
	if err != nil {
		return 0, 0, err
	}
	count, _, _ := chain(data[:validTailEnd(data, tail.index)], -1)
	return s.segs[0].index, tail.index + uint64(count) - 1, nil
}

// record implements recordSource.
func (s *fileSource) record(i uint64) (Envelope, bool, error) {
	k := len(s.segs) - 1
	for k >= 0 && s.segs[k].index > i {
		k--
	}
	if k < 0 {
		return Envelope{}, false, nil
	}
	if err := s.load(k); err != nil {
		return Envelope{}, false, err
	}
	pos := i - s.segs[k].index
	if pos < uint64(len(s.entries)) {
		if e, err := DecodeRecord(s.entries[pos]); err == nil && e.Index == i && e.deliverable() {
			return e, true, nil
		}
	}
	s.countBad(i)
	return Envelope{}, false, nil
}

// load parses segs[k] unless it is the loaded one.
func (s *fileSource) load(k int) error {
	if s.loaded == k {
		return nil
	}
	data, err := os.ReadFile(s.segs[k].path)
	if err != nil {
		return err
	}
	s.entries = s.entries[:0]
	for off := 0; off < len(data); {
		entry, next, ok := nextEntry(data, off)
		if !ok {
			break
		}
		s.entries = append(s.entries, entry)
		off = next
	}
	s.loaded = k
	return nil
}

// countBad counts a bad record once.
func (s *fileSource) countBad(i uint64) {
	if s.bad == nil {
		s.bad = make(map[uint64]struct{})
	}
	if _, ok := s.bad[i]; !ok {
		s.bad[i] = struct{}{}
		s.corrupt++
	}
}
