package ingest

import (
	"bytes"
	"sort"
)

// labelSorter sorts label references by name without allocating; it lives
// in the per-request state so converting it to sort.Interface is free.
type labelSorter struct {
	b    []byte
	refs []labelRef
}

func (s *labelSorter) Len() int { return len(s.refs) }

func (s *labelSorter) Less(i, j int) bool {
	a, c := s.refs[i].name, s.refs[j].name
	return bytes.Compare(s.b[a.start:a.end], s.b[c.start:c.end]) < 0
}

func (s *labelSorter) Swap(i, j int) { s.refs[i], s.refs[j] = s.refs[j], s.refs[i] }

func (s *labelSorter) sort() { sort.Sort(s) }
