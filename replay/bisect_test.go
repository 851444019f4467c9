package replay

import (
	"slices"
	"testing"
)

// Every node a walk can be in flight at resumes with exactly the pending
// nodes the walk had there, whatever was refused before it.
func TestBisectionResumeMatchesTheWalk(t *testing.T) {
	for n := 1; n <= 40; n++ {
		for refuse := range 3 { // 0: every node refused, 1: even-starting ones, 2: none but the root
			var walk bisection
			walk.start(n)
			for steps := 0; ; steps++ {
				if steps > 4*n {
					t.Fatalf("n=%d: walk does not end", n)
				}
				var b bisection
				if !b.resume(n, walk.cur.lo, walk.cur.hi) || b.cur != walk.cur || !slices.Equal(b.pending, walk.pending) {
					t.Fatalf("n=%d at %v: resume gives %v %v, walk has %v", n, walk.cur, b.cur, b.pending, walk.pending)
				}
				refused := refuse == 0 || refuse == 1 && walk.cur.lo%2 == 0 || walk.cur == node{0, n}
				if refused && walk.cur.len() > 1 {
					walk.divide()
					continue
				}
				if !walk.next() {
					break
				}
			}
		}
	}
}

func TestBisectionResumeRefusesOtherRanges(t *testing.T) {
	var b bisection
	for _, nd := range []node{{0, 3}, {1, 5}, {2, 9}, {7, 8}, {8, 9}, {-1, 2}, {0, 0}} {
		if nd == (node{7, 8}) {
			if !b.resume(8, 7, 8) {
				t.Fatal("leaf 7..8 of 0..8 not resumed")
			}
			continue
		}
		if b.resume(8, nd.lo, nd.hi) {
			t.Fatalf("%v resumed as a node of 0..8", nd)
		}
	}
}
