package router

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// downSet is a Health with the listed backends down.
type downSet map[int]bool

func (d downSet) Up(i int) bool { return !d[i] }

// testIDs returns n backend ids derived from distinct URLs.
func testIDs(t testing.TB, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		id, err := BackendID(fmt.Sprintf("http://tsdb-%d.example:9090/api/v1/write", i))
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

func mustRing(t testing.TB, ids []string, replicas, shards int) *Ring {
	t.Helper()
	r, err := New(ids, replicas, shards)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ids      []string
		replicas int
		shards   int
		want     string
	}{
		{"no backends", nil, 1, 1, "no backends"},
		{"duplicate", []string{"a", "b", "a"}, 1, 1, "backends 0 and 2 are the same"},
		{"empty id", []string{"a", ""}, 1, 1, "empty id"},
		{"shards 3", []string{"a"}, 1, 3, "--shard must be a power of two, got 3"},
		{"shards 0", []string{"a"}, 1, 0, "--shard must be a power of two, got 0"},
		{"shards -4", []string{"a"}, 1, -4, "--shard must be a power of two, got -4"},
		{"replicas 0", []string{"a"}, 0, 1, "--replica_factor must be at least 1, got 0"},
		{"replicas > n", []string{"a", "b"}, 3, 1, "--replica_factor 3 is more than the 2 backends"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.ids, tc.replicas, tc.shards)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrConfig containing %q", err, tc.want)
			}
		})
	}
	for _, shards := range []int{1, 2, 4, 1024} {
		if _, err := New([]string{"a", "b"}, 2, shards); err != nil {
			t.Errorf("shards %d: %v", shards, err)
		}
	}
}

func TestNewCopiesIDs(t *testing.T) {
	ids := []string{"a", "b", "c"}
	r := mustRing(t, ids, 1, 1)
	before := r.Lookup(42, nil, nil)[0]
	ids[0], ids[1], ids[2] = "x", "y", "z"
	if got := r.Lookup(42, nil, nil)[0]; got != before || r.ID(0) != "a" {
		t.Fatal("ring changed when the caller modified its ids slice")
	}
}

func TestShard(t *testing.T) {
	r := mustRing(t, []string{"a"}, 1, 8)
	if r.Shards() != 8 {
		t.Fatalf("Shards() = %d", r.Shards())
	}
	counts := make([]int, 8)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 80000 {
		h := rng.Uint64()
		s := r.Shard(h)
		if s != int(h%8) {
			t.Fatalf("Shard(%x) = %d", h, s)
		}
		counts[s]++
	}
	for s, c := range counts {
		if c < 9500 || c > 10500 {
			t.Errorf("shard %d got %d of 80000", s, c)
		}
	}
	if one := mustRing(t, []string{"a"}, 1, 1); one.Shard(^uint64(0)) != 0 {
		t.Fatal("single shard ring returned a non-zero shard")
	}
}

// lookupIDs returns the ids of the backends h goes to.
func lookupIDs(r *Ring, h uint64, health Health) []string {
	var out []string
	for _, i := range r.Lookup(h, health, nil) {
		out = append(out, r.ID(i))
	}
	return out
}

func TestLookupDeterministicAndOrderIndependent(t *testing.T) {
	ids := testIDs(t, 7)
	rng := rand.New(rand.NewPCG(5, 6))
	for replicas := 1; replicas <= len(ids); replicas++ {
		a := mustRing(t, ids, replicas, 1)
		shuffled := append([]string(nil), ids...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		b := mustRing(t, shuffled, replicas, 1)
		for range 2000 {
			h := rng.Uint64()
			x, y, z := lookupIDs(a, h, nil), lookupIDs(b, h, nil), lookupIDs(a, h, nil)
			if fmt.Sprint(x) != fmt.Sprint(y) || fmt.Sprint(x) != fmt.Sprint(z) {
				t.Fatalf("R=%d h=%x: %v vs shuffled %v vs again %v", replicas, h, x, y, z)
			}
		}
	}
}

func TestLookupDistinctReplicas(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for n := 1; n <= 8; n++ {
		ids := testIDs(t, n)
		for replicas := 1; replicas <= n; replicas++ {
			r := mustRing(t, ids, replicas, 1)
			for range 500 {
				got := r.Lookup(rng.Uint64(), nil, nil)
				assertDistinct(t, got, replicas, n)
			}
		}
	}
}

func assertDistinct(t *testing.T, got []int, replicas, n int) {
	t.Helper()
	if len(got) != replicas {
		t.Fatalf("got %d backends %v, want %d", len(got), got, replicas)
	}
	seen := map[int]bool{}
	for _, i := range got {
		if i < 0 || i >= n || seen[i] {
			t.Fatalf("backends %v: out of range or repeated (n=%d)", got, n)
		}
		seen[i] = true
	}
}

func TestLookupAppendsAndDoesNotAllocate(t *testing.T) {
	r := mustRing(t, testIDs(t, 3), 2, 4)
	dst := append(make([]int, 0, 8), 99)
	got := r.Lookup(1234, nil, dst)
	if len(got) != 3 || got[0] != 99 {
		t.Fatalf("Lookup did not append: %v", got)
	}
	health := downSet{1: true}
	buf := make([]int, 0, 4)
	for _, h := range []Health{nil, health} {
		allocs := testing.AllocsPerRun(200, func() { buf = r.Lookup(987654321, h, buf[:0]) })
		if allocs != 0 {
			t.Errorf("health %v: %v allocations per Lookup, want 0", h, allocs)
		}
	}
}

// flappingHealth changes its answer on every call, like a watchdog that
// flips state while a Lookup runs.
type flappingHealth struct{ calls int }

func (f *flappingHealth) Up(int) bool {
	f.calls++
	return f.calls%3 != 0
}

func TestLookupFlappingHealthStaysDistinct(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for n := 1; n <= 6; n++ {
		for replicas := 1; replicas <= n; replicas++ {
			r := mustRing(t, testIDs(t, n), replicas, 1)
			for range 300 {
				assertDistinct(t, r.Lookup(rng.Uint64(), &flappingHealth{calls: rng.IntN(3)}, nil), replicas, n)
			}
		}
	}
}

// TestTop2MatchesPick: Lookup's one-pass path for one or two replicas
// answers what the general selection answers, ties between equal scores
// included (broken by id, whatever the order of the backends), and so
// does Top2's path for rings with equal scores. Hashes equal to a seed
// give that backend a score of 0, the value Top2 holds for a missing
// second pick.
func TestTop2MatchesPick(t *testing.T) {
	var rings []*Ring
	for n := 1; n <= 8; n++ {
		for replicas := 1; replicas <= min(n, 2); replicas++ {
			rings = append(rings, mustRing(t, testIDs(t, n), replicas, 4))
		}
	}
	rings = append(rings,
		&Ring{ids: []string{"b", "a", "c"}, seeds: []uint64{7, 7, 7}, replicas: 2},
		&Ring{ids: []string{"c", "b", "a", "d"}, seeds: []uint64{7, 9, 7, 9}, replicas: 2},
		&Ring{ids: []string{"z", "y"}, seeds: []uint64{1, 1}, replicas: 1},
		&Ring{ids: []string{"p", "q", "r"}, seeds: []uint64{5, 9, 11}, replicas: 2})
	for _, r := range rings {
		hashes := slices.Clone(r.seeds)
		for h := uint64(0); h < 2000; h++ {
			hashes = append(hashes, h*0x9e3779b97f4a7c15)
		}
		for _, x := range hashes {
			got := r.top2(x, nil)
			s := selector{r: r, h: x}
			if want := s.pick(nil, false, nil); !slices.Equal(got, want) {
				t.Fatalf("ring %v hash %x: top2 %v, pick %v", r.ids, x, got, want)
			}
			f, sec := r.Top2(x)
			tf, tsec := r.top2Ties(x)
			if f != tf || sec != tsec {
				t.Fatalf("ring %v hash %x: Top2 %d %d, top2Ties %d %d", r.ids, x, f, sec, tf, tsec)
			}
		}
	}
}
