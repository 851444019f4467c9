package router

import (
	"slices"
	"testing"
)

// setHealth is up for the backends in the set.
type setHealth map[int]bool

func (s setHealth) Up(i int) bool { return s[i] }

// TestLookupAmongIsTheRingOfTheEligible: among eligible backends the
// answer is the one a ring of those backends alone gives, and with every
// backend eligible it is Lookup's.
func TestLookupAmongIsTheRingOfTheEligible(t *testing.T) {
	ids := testIDs(t, 5)
	for _, replicas := range []int{1, 2, 3} {
		full, err := New(ids, replicas, 4)
		if err != nil {
			t.Fatal(err)
		}
		eligible := setHealth{0: true, 2: true, 3: true}
		subIDs := []string{ids[0], ids[2], ids[3]}
		sub, err := New(subIDs, replicas, 4)
		if err != nil {
			t.Fatal(err)
		}
		all := setHealth{0: true, 1: true, 2: true, 3: true, 4: true}
		for h := uint64(0); h < 2000; h++ {
			hash := h * 0x9e3779b97f4a7c15
			if got, want := full.LookupAmong(hash, all, nil, nil), full.Lookup(hash, nil, nil); !slices.Equal(got, want) {
				t.Fatalf("rf %d: all eligible %v, Lookup %v", replicas, got, want)
			}
			var want []string
			for _, i := range sub.Lookup(hash, nil, nil) {
				want = append(want, subIDs[i])
			}
			var got []string
			for _, i := range full.LookupAmong(hash, eligible, nil, nil) {
				got = append(got, ids[i])
			}
			if !slices.Equal(got, want) {
				t.Fatalf("rf %d hash %x: among %v, sub-ring %v", replicas, hash, got, want)
			}
		}
	}
}

// TestLookupAmongHealthAndShortage: healthy eligible backends come
// first, down eligible ones fill, ineligible ones never appear, and with
// fewer eligible backends than replicas all of them are answered.
func TestLookupAmongHealthAndShortage(t *testing.T) {
	ring, err := New(testIDs(t, 4), 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	eligible := setHealth{1: true, 2: true}
	health := setHealth{0: true, 1: true, 3: true} // 2 is down
	for h := uint64(0); h < 500; h++ {
		got := ring.LookupAmong(h*0x9e3779b97f4a7c15, eligible, health, nil)
		if !slices.Equal(got, []int{1, 2}) {
			t.Fatalf("got %v, want [1 2]: the healthy eligible first, then the down one, nothing else", got)
		}
	}
	if got := ring.LookupAmong(7, setHealth{}, nil, nil); len(got) != 0 {
		t.Fatalf("no eligible backend: got %v", got)
	}
}
