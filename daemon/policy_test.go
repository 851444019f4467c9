package daemon

import (
	"testing"

	"github.com/prws/prws/replay"
)

// TestDrainRateUsesTheCap: the ETA's rate is the measured one bounded by
// the cap, the cap itself before a rate is measured on a backend that is
// up, and unknown (0) for a backend that is down and sends nothing.
func TestDrainRateUsesTheCap(t *testing.T) {
	capped := replay.NewSendLimiter("b", 1000, 0, 100, nil)
	for _, tc := range []struct {
		measured float64
		up       bool
		lim      *replay.SendLimiter
		want     float64
	}{
		{500, true, nil, 500},
		{0, true, nil, 0},
		{5000, true, capped, 1000},
		{500, true, capped, 500},
		{0, true, capped, 1000},
		{0, false, capped, 0},
	} {
		if got := drainRate(tc.measured, tc.up, tc.lim); got != tc.want {
			t.Errorf("drainRate(%v, %v, cap %v) = %v, want %v", tc.measured, tc.up, tc.lim.SamplesPerSecond(), got, tc.want)
		}
	}
}
