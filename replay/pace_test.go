package replay

import (
	"testing"
	"time"
)

func TestPacerKeepsTheFasterModeAndExplores(t *testing.T) {
	var p pacer
	if p.choose(false) != narrow {
		t.Fatal("wide although the backend is fast")
	}
	// A queue that keeps up: short batches, no lanes.
	p.record(narrow, 3000, false, false, 25*time.Millisecond)
	if p.choose(true) != narrow {
		t.Fatal("wide without a backlog")
	}
	// Full batches, but less than a wide read waiting behind them: each
	// round trip gathers the next batch, and the queue keeps up.
	p.record(narrow, 5000, true, false, 25*time.Millisecond)
	if p.choose(true) != narrow {
		t.Fatal("wide although the queue keeps up")
	}
	// Far backend: 5000 samples in 25 ms narrow, 40000 in 100 ms wide.
	p.record(narrow, 5000, true, true, 25*time.Millisecond)
	if p.choose(true) != wide {
		t.Fatal("an unmeasured wide mode is not tried on a backlog")
	}
	p.record(wide, 40000, true, true, 100*time.Millisecond)
	if p.choose(true) != wide {
		t.Fatalf("rates %v: wide not kept", p.rate)
	}
	// A short batch (a caught-up queue) says nothing of the rate.
	p.record(wide, 1000, false, false, time.Second)
	if p.rate[wide] != 400000 {
		t.Fatalf("a short batch moved the rate to %v", p.rate[wide])
	}
	// Busy local backend: wide no faster than narrow.
	var q pacer
	q.record(narrow, 5000, true, true, 6*time.Millisecond)
	q.record(wide, 40000, true, true, 50*time.Millisecond)
	modes := map[int]int{}
	for range 3 * exploreEvery {
		m := q.choose(true)
		modes[m]++
		limit := 5000
		took := 6 * time.Millisecond
		if m == wide {
			limit, took = 40000, 50*time.Millisecond
		}
		q.record(m, limit, true, true, took)
	}
	if modes[wide] == 0 || modes[wide] > 3 || modes[narrow] < 3*exploreEvery-3 {
		t.Fatalf("modes chosen %v: want narrow, with wide tried once every %d full batches", modes, exploreEvery)
	}
}
