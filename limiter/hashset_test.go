package limiter

import (
	"math/rand/v2"
	"testing"
)

func TestHashSetMatchesMap(t *testing.T) {
	var s hashSet
	ref := map[uint64]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		h := r.Uint64N(5000) + 1 // many duplicates
		if i%3 == 0 {
			h = r.Uint64() | 1
		}
		if got, want := s.add(h), !ref[h]; got != want {
			t.Fatalf("add(%d) = %v, want %v", h, got, want)
		}
		ref[h] = true
	}
	if s.len() != len(ref) {
		t.Fatalf("len = %d, want %d", s.len(), len(ref))
	}
	for h := range ref {
		if !s.has(h) {
			t.Fatalf("lost %d", h)
		}
	}
	if s.has(1<<63 + 12345) {
		t.Fatal("has reports an absent hash")
	}
}

func TestHashSetLoadAndReset(t *testing.T) {
	var s hashSet
	for h := uint64(1); h <= 1000; h++ {
		s.add(h)
		if s.n*4 > len(s.slots)*3 {
			t.Fatalf("load %d/%d above 0.75", s.n, len(s.slots))
		}
	}
	size := len(s.slots)
	s.reset()
	if s.len() != 0 || s.has(5) || len(s.slots) != size {
		t.Fatalf("reset: len %d has(5) %v slots %d", s.len(), s.has(5), len(s.slots))
	}
}

// len returns the number of elements.
func (s *hashSet) len() int { return s.n }
