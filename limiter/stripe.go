package limiter

import "sync"

// numStripes is the number of independently locked parts of the state.
// The stripe of a hash is its top 6 mixed bits.
const numStripes = 64

// stripeOf returns the stripe index of a non-zero hash.
func stripeOf(h uint64) int { return int(mix(h) >> 58) }

// stripeWindow is one stripe's share of one window.
type stripeWindow struct {
	start   int64    // epoch start that set and pending belong to
	set     hashSet  // series admitted in that epoch
	pending []uint64 // admitted but not yet persisted, in admission order
}

// roll moves the stripe's share to a newer epoch, forgetting the old one.
// Pending hashes of the old epoch are dropped: their window has ended.
func (sw *stripeWindow) roll(start int64) {
	sw.start = start
	sw.set.reset()
	sw.pending = sw.pending[:0]
}

// stripe holds both windows' state for the hashes that map to it, so one
// lock makes the hour and day decisions of a series atomic together.
type stripe struct {
	mu sync.Mutex               // guards w
	w  [numWindows]stripeWindow // indexed by window
	_  [64]byte                 // keeps neighbouring stripes off one cache line
}
