package replay

import "time"

// ewmaRate is an exponentially weighted moving average of a per-second
// rate, advanced lazily from the times it is given (no goroutine, no
// ticker). Not safe for concurrent use; BackendState guards it.
type ewmaRate struct {
	alpha    float64
	interval time.Duration
	pending  int64     // events since the last tick
	rate     float64   // per second
	last     time.Time // time of the last tick; zero before the first event
	primed   bool      // rate holds a real measurement
}

// maxTicks bounds the catch-up loop; after that many idle intervals the
// rate has decayed to nothing anyway.
const maxTicks = 64

func newEWMARate(alpha float64, interval time.Duration) ewmaRate {
	return ewmaRate{alpha: alpha, interval: interval}
}

// add records n events at now.
func (r *ewmaRate) add(n int64, now time.Time) {
	r.advance(now)
	r.pending += n
}

// value returns the rate per second as of now.
func (r *ewmaRate) value(now time.Time) float64 {
	r.advance(now)
	return r.rate
}

func (r *ewmaRate) advance(now time.Time) {
	if r.last.IsZero() {
		r.last = now
		return
	}
	for i := 0; now.Sub(r.last) >= r.interval; i++ {
		if i == maxTicks {
			r.rate, r.last = 0, now
			return
		}
		instant := float64(r.pending) / r.interval.Seconds()
		if r.primed {
			r.rate += r.alpha * (instant - r.rate)
		} else {
			r.rate, r.primed = instant, true
		}
		r.pending = 0
		r.last = r.last.Add(r.interval)
	}
}
