package replay

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// LaneBudget bounds how many workers, across every backend, may send
// lanes at once (--remote_write_max_lane_queues). Going wide costs a
// queue an uncompressed copy of its wide read and a compressed block per
// sender (lanes.go), and the CPU of dividing it, which a backend on the
// same cores may need; when every queue of many backends falls behind
// together, as on a saturated host, an unbounded number of them going
// wide holds that memory per queue and slows every backend
// (BENCHMARKS.md). A worker takes a share before its first wide read (or
// before dividing a batch read narrow that holds more than a batch) and
// gives it back with the lanes' buffers, once its last batch sent as
// lanes is keepLanes old, or when it stops; while no share is free it
// reads, and sends, one batch at a time. A batch resuming the split of a
// lane after a restart is divided again without a share, so the bound
// may be passed by such a batch for the length of its split.
//
// Safe for concurrent use. A nil *LaneBudget grants every share.
type LaneBudget struct {
	max  int64
	held atomic.Int64
}

// NewLaneBudget returns a budget of n shares (n <= 0: unbounded) and
// registers on reg, unless nil, the gauge prws_remote_lane_queues of the
// shares taken. It panics if that gauge is already registered on reg, a
// wiring bug.
func NewLaneBudget(n int, reg prometheus.Registerer) *LaneBudget {
	b := &LaneBudget{max: int64(n)}
	if reg != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "prws_remote_lane_queues",
			Help: "Queues, across every backend, sending lanes or keeping their buffers for the next wide read (at most --remote_write_max_lane_queues).",
		}, func() float64 { return float64(b.Held()) }))
	}
	return b
}

// take takes a share, reporting whether one was free.
func (b *LaneBudget) take() bool {
	if b == nil {
		return true
	}
	for {
		h := b.held.Load()
		if b.max > 0 && h >= b.max {
			return false
		}
		if b.held.CompareAndSwap(h, h+1) {
			return true
		}
	}
}

// give returns a share taken by take.
func (b *LaneBudget) give() {
	if b != nil {
		b.held.Add(-1)
	}
}

// Held returns how many shares are taken: the workers sending lanes or
// keeping their buffers for the next wide read.
func (b *LaneBudget) Held() int {
	if b == nil {
		return 0
	}
	return int(b.held.Load())
}
