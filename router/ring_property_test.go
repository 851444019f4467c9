package router

import (
	"fmt"
	"math"
	"testing"
)

const propertySeries = 100000

// seriesHashes returns the routing hashes of n realistic, distinct series
// (sequential instances and handlers, the kind of input that exposes a
// weak hash).
func seriesHashes(n int) []uint64 {
	hs := make([]uint64, n)
	h := NewHasher(KeySeries)
	for i := range hs {
		h.Reset()
		h.AddString("__name__", "http_requests_total")
		h.AddString("code", fmt.Sprint(200+i%5))
		h.AddString("handler", fmt.Sprintf("/api/v%d", i/5%20))
		h.AddString("instance", fmt.Sprintf("10.0.%d.%d:9100", i/5/20/256, i/5/20%256))
		h.AddString("job", "node")
		hs[i] = h.Sum64()
	}
	return hs
}

// primaries returns, for each hash, the id of its first backend.
func primaries(r *Ring, hs []uint64, health Health) []string {
	out := make([]string, len(hs))
	buf := make([]int, 0, r.Replicas())
	for i, h := range hs {
		buf = r.Lookup(h, health, buf[:0])
		out[i] = r.ID(buf[0])
	}
	return out
}

func TestBalance(t *testing.T) {
	hs := seriesHashes(propertySeries)
	for _, n := range []int{2, 3, 5} {
		for _, replicas := range []int{1, 2} {
			r := mustRing(t, testIDs(t, n), replicas, 1)
			counts := map[int]int{}
			buf := make([]int, 0, replicas)
			for _, h := range hs {
				for _, b := range r.Lookup(h, nil, buf[:0]) {
					counts[b]++
				}
			}
			want := float64(propertySeries*replicas) / float64(n)
			for b := range n {
				if dev := math.Abs(float64(counts[b])-want) / want; dev > 0.05 {
					t.Errorf("N=%d R=%d: backend %d holds %d series, %.1f%% off the fair %v", n, replicas, b, counts[b], dev*100, want)
				}
			}
		}
	}
}

func TestMovementOnAdd(t *testing.T) {
	hs := seriesHashes(propertySeries)
	for n := 2; n <= 6; n++ {
		ids := testIDs(t, n+1)
		before := primaries(mustRing(t, ids[:n], 1, 1), hs, nil)
		after := primaries(mustRing(t, ids, 1, 1), hs, nil)
		moved := 0
		for i := range hs {
			if before[i] == after[i] {
				continue
			}
			moved++
			if after[i] != ids[n] {
				t.Fatalf("N=%d: series moved from %s to %s, not to the new backend", n, before[i], after[i])
			}
		}
		want := float64(propertySeries) / float64(n+1)
		if ratio := float64(moved) / want; ratio < 0.8 || ratio > 1.2 {
			t.Errorf("N=%d→%d: %d series moved, want about %.0f (ratio %.2f)", n, n+1, moved, want, ratio)
		}
	}
}

func TestMovementOnAddWithReplicas(t *testing.T) {
	hs := seriesHashes(propertySeries / 10)
	ids := testIDs(t, 5)
	before, after := mustRing(t, ids[:4], 2, 1), mustRing(t, ids, 2, 1)
	for _, h := range hs {
		a, b := lookupIDs(before, h, nil), lookupIDs(after, h, nil)
		for _, id := range b {
			if id != ids[4] && id != a[0] && id != a[1] {
				t.Fatalf("h=%x: replicas %v became %v; only the new backend may appear", h, a, b)
			}
		}
	}
}

func TestMovementOnRemove(t *testing.T) {
	hs := seriesHashes(propertySeries)
	ids := testIDs(t, 5)
	before := primaries(mustRing(t, ids, 1, 1), hs, nil)
	for removed := range ids {
		rest := append(append([]string(nil), ids[:removed]...), ids[removed+1:]...)
		after := primaries(mustRing(t, rest, 1, 1), hs, nil)
		for i := range hs {
			if before[i] != ids[removed] && before[i] != after[i] {
				t.Fatalf("removing %s moved a series from %s to %s", ids[removed], before[i], after[i])
			}
		}
	}
}

// TestDownBackendLoadSpreads reproduces the failure of the original
// prom-remote-write-shard: after a backend went down its traffic kept going
// to it and one node got none of it. With one of three down, the dead
// backend must get nothing new and BOTH survivors must take a share of its
// series, while the survivors keep their own series.
func TestDownBackendLoadSpreads(t *testing.T) {
	hs := seriesHashes(propertySeries)
	ids := testIDs(t, 3)
	r := mustRing(t, ids, 1, 1)
	healthy := primaries(r, hs, nil)
	for dead := range ids {
		degraded := primaries(r, hs, downSet{dead: true})
		took := map[string]int{}
		for i := range hs {
			switch {
			case degraded[i] == ids[dead]:
				t.Fatalf("dead backend %d still receives new series", dead)
			case healthy[i] == ids[dead]:
				took[degraded[i]]++
			case degraded[i] != healthy[i]:
				t.Fatalf("series of live backend %s moved to %s", healthy[i], degraded[i])
			}
		}
		orphans := took[ids[(dead+1)%3]] + took[ids[(dead+2)%3]]
		for _, s := range []int{(dead + 1) % 3, (dead + 2) % 3} {
			if share := float64(took[ids[s]]) / float64(orphans); share < 0.4 {
				t.Errorf("backend %d down: backend %d took only %.0f%% of its %d series", dead, s, share*100, orphans)
			}
		}
	}
}

func TestDownBackendWithReplicas(t *testing.T) {
	hs := seriesHashes(propertySeries / 10)
	ids := testIDs(t, 4)
	r := mustRing(t, ids, 2, 1)
	for _, h := range hs {
		all := r.Lookup(h, nil, nil)
		got := r.Lookup(h, downSet{all[0]: true}, nil)
		assertDistinct(t, got, 2, 4)
		if got[0] != all[1] || contains(got, all[0]) {
			t.Fatalf("h=%x: healthy %v, with %d down %v: want the second choice promoted and the dead one gone", h, all, all[0], got)
		}
		full := r.lookupAll(h)
		if got[1] != full[2] {
			t.Fatalf("h=%x: with %d down got %v, want next-best %d", h, all[0], got, full[2])
		}
	}
}

func TestTooFewBackendsUp(t *testing.T) {
	ids := testIDs(t, 4)
	r := mustRing(t, ids, 3, 1)
	hs := seriesHashes(2000)
	allDown := downSet{0: true, 1: true, 2: true, 3: true}
	for _, h := range hs {
		full := r.lookupAll(h)
		// Only full[3] (the worst) is up: it leads, then the best down ones.
		got := r.Lookup(h, downSet{full[0]: true, full[1]: true, full[2]: true}, nil)
		if fmt.Sprint(got) != fmt.Sprint([]int{full[3], full[0], full[1]}) {
			t.Fatalf("h=%x: ranking %v, one up: got %v", h, full, got)
		}
		none, healthy := r.Lookup(h, allDown, nil), r.Lookup(h, nil, nil)
		if fmt.Sprint(none) != fmt.Sprint(healthy) {
			t.Fatalf("h=%x: all down %v, want as if all up %v", h, none, healthy)
		}
	}
}

// lookupAll returns the full preference order of h over every backend.
func (r *Ring) lookupAll(h uint64) []int {
	full := *r
	full.replicas = len(r.ids)
	return full.Lookup(h, nil, nil)
}
