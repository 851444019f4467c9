package limiter

// hashSet is an open-addressing (linear probing) set of non-zero uint64
// hashes; 0 marks an empty slot. It grows by doubling when an insert
// would take it past load 0.75. The zero value is an empty set. It is not
// safe for concurrent use; its owner's mutex guards it.
type hashSet struct {
	slots []uint64 // len is 0 or a power of two
	n     int      // occupied slots
}

const minSlots = 16

// mix is the 64-bit finaliser of MurmurHash3: it spreads any input,
// including sequential test hashes, over all bits so that slot (low bits)
// and stripe (high bits) selection are independent.
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// has reports whether h (non-zero) is in the set.
func (s *hashSet) has(h uint64) bool {
	if len(s.slots) == 0 {
		return false
	}
	mask := uint64(len(s.slots) - 1)
	for i := mix(h) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// add inserts h (non-zero) and reports whether it was absent.
func (s *hashSet) add(h uint64) bool {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	if !s.put(h) {
		return false
	}
	s.n++
	return true
}

// put stores h without growing; the table must have a free slot.
func (s *hashSet) put(h uint64) bool {
	mask := uint64(len(s.slots) - 1)
	for i := mix(h) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return false
		case 0:
			s.slots[i] = h
			return true
		}
	}
}

// grow doubles the table and rehashes every element.
func (s *hashSet) grow() {
	old := s.slots
	size := max(len(old)*2, minSlots)
	s.slots = make([]uint64, size)
	for _, h := range old {
		if h != 0 {
			s.put(h)
		}
	}
}

// reset empties the set and keeps its table for the next window, whose
// cardinality is usually close to the last one's.
func (s *hashSet) reset() {
	clear(s.slots)
	s.n = 0
}
