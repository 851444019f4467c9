package watchdog

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/prws/prws/router"
)

var _ router.Health = (*Watchdog)(nil)

// mix64 is the splitmix64 finaliser.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// pick is a tiny ring: the Up backend with the highest rendezvous score.
func pick(h uint64, n int, health router.Health) int {
	best, bestScore := -1, uint64(0)
	for i := range n {
		if s := mix64(h ^ mix64(uint64(i)+1)); health.Up(i) && (best < 0 || s > bestScore) {
			best, bestScore = i, s
		}
	}
	return best
}

// routeAll sends one write per series to the backend the ring picks and
// returns the owner of every series.
func routeAll(t *testing.T, bs []*fakeBackend, health router.Health, series int) []int {
	owner := make([]int, series)
	for s := range owner {
		owner[s] = pick(uint64(s)*0x9e3779b97f4a7c15, len(bs), health)
		resp, err := bs[owner[s]].srv.Client().Post(bs[owner[s]].srv.URL, "application/x-protobuf", bytes.NewReader(nil))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	return owner
}

// TestDeadBackendGetsNoNewTraffic reproduces the original
// prom-remote-write-shard bug: after a backend went down, series kept
// being routed to it. Once the watchdog marks it down, it must receive
// nothing new, its series must spread over the others, and the others'
// series must not move; on recovery the original placement returns.
func TestDeadBackendGetsNoNewTraffic(t *testing.T) {
	bs := []*fakeBackend{newFakeBackend(t), newFakeBackend(t), newFakeBackend(t)}
	w := New(targets(bs...), Options{})
	const series = 300
	before := routeAll(t, bs, w, series)

	bs[1].status.Store(http.StatusServiceUnavailable)
	rounds(w, 3)
	writes := bs[1].writes.Load()
	after := routeAll(t, bs, w, series)
	if got := bs[1].writes.Load() - writes; got != 0 {
		t.Fatalf("dead backend received %d new writes", got)
	}
	moved := map[int]int{}
	for s := range after {
		switch {
		case before[s] == 1:
			moved[after[s]]++
		case after[s] != before[s]:
			t.Fatalf("series %d moved from healthy backend %d to %d", s, before[s], after[s])
		}
	}
	total := moved[0] + moved[2]
	if total == 0 || moved[0]*5 < total || moved[2]*5 < total {
		t.Fatalf("dead backend's %d series not shared: %v", total, moved)
	}

	bs[1].status.Store(http.StatusNoContent)
	rounds(w, 2)
	for s, o := range routeAll(t, bs, w, series) {
		if o != before[s] {
			t.Fatalf("series %d on %d after recovery, want %d", s, o, before[s])
		}
	}
}
