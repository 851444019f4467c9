package router

import (
	"fmt"
	"testing"
)

// maskHealth is a Health whose down backends are the set bits of a mask.
type maskHealth uint64

func (m maskHealth) Up(i int) bool { return m&(1<<(uint(i)%64)) == 0 }

// FuzzRing checks the Lookup invariants for any hash, ring size, replica
// factor and health mask: no panic, an in-range shard, the healthy answer
// a prefix of the full preference order, and the answer under health equal
// to the reference (up backends in ring order, then down ones), which
// implies exactly replicas distinct in-range backends.
func FuzzRing(f *testing.F) {
	f.Add(uint64(0), uint8(1), uint8(1), uint64(0))
	f.Add(uint64(0xdeadbeef), uint8(3), uint8(2), uint64(1))
	f.Add(^uint64(0), uint8(5), uint8(5), uint64(0b10101))
	f.Add(uint64(42), uint8(40), uint8(3), ^uint64(0))
	f.Fuzz(func(t *testing.T, h uint64, n, replicas uint8, down uint64) {
		size := 1 + int(n)%48
		rf := 1 + int(replicas)%size
		ids := make([]string, size)
		for i := range ids {
			ids[i] = fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15)
		}
		r, err := New(ids, rf, 1<<(n%11))
		if err != nil {
			t.Fatal(err)
		}
		if s := r.Shard(h); s < 0 || s >= r.Shards() {
			t.Fatalf("shard %d out of [0,%d)", s, r.Shards())
		}
		checkLookup(t, r, h, maskHealth(down))
	})
}

func checkLookup(t *testing.T, r *Ring, h uint64, health maskHealth) {
	full := r.lookupAll(h)
	if healthy := r.Lookup(h, nil, nil); fmt.Sprint(healthy) != fmt.Sprint(full[:r.Replicas()]) {
		t.Fatalf("healthy answer %v is not the prefix of %v", healthy, full)
	}
	got := r.Lookup(h, health, nil)
	if want := expectedLookup(full, health, r.Replicas()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("with down mask %b got %v, want %v (ring order %v)", uint64(health), got, want, full)
	}
	seen := map[int]bool{}
	for _, b := range got {
		if b < 0 || b >= r.Len() || seen[b] {
			t.Fatalf("got %v: out of range or repeated", got)
		}
		seen[b] = true
	}
}

// expectedLookup is the reference answer: the up backends in ring order,
// then the down ones in ring order, the first replicas of them; the plain
// ring order when none is up.
func expectedLookup(full []int, health Health, replicas int) []int {
	var up, down []int
	for _, b := range full {
		if health.Up(b) {
			up = append(up, b)
		} else {
			down = append(down, b)
		}
	}
	return append(up, down...)[:replicas]
}
