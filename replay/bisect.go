package replay

// node is a half-open range lo..hi of the units (entries or samples) a
// bisection divides.
type node struct{ lo, hi int }

func (n node) len() int { return n.hi - n.lo }

// bisection walks the bisection tree of 0..n depth first, left half first:
// a refused node of more than one unit is replaced by its two halves
// (lo..mid, mid..hi with mid = (lo+hi)/2), a settled one (accepted, or a
// refused single unit) gives way to the next pending node. Because the
// tree is fixed by n, the node in flight alone determines the pending
// ones (the right siblings of the ancestors whose left half it lies in),
// so persisting it is enough to resume after a crash. It is reused and
// not safe for concurrent use.
type bisection struct {
	n       int
	cur     node
	pending []node // right halves still to send, the next one last
}

// start begins at the root: the whole range 0..n.
func (b *bisection) start(n int) {
	b.n, b.cur, b.pending = n, node{0, n}, b.pending[:0]
}

// resume begins at the node lo..hi of the tree of 0..n, with the pending
// nodes it implies; false when lo..hi is not a node of that tree (b must
// then be started again).
func (b *bisection) resume(n, lo, hi int) bool {
	pending := b.pending[:0]
	cur := node{0, n}
	for cur != (node{lo, hi}) {
		if cur.len() < 2 {
			return false
		}
		mid := (cur.lo + cur.hi) / 2
		switch {
		case lo >= cur.lo && hi <= mid:
			// Descending left, as divide does: the right half waits, and
			// the deeper a sibling, the sooner it is sent.
			pending = append(pending, node{mid, cur.hi})
			cur = node{cur.lo, mid}
		case lo >= mid && hi <= cur.hi:
			cur = node{mid, cur.hi} // the left half was settled
		default:
			b.pending = pending[:0]
			return false
		}
	}
	b.n, b.cur, b.pending = n, cur, pending
	return true
}

// divide replaces the current node, refused and holding two units or
// more, by its left half; its right half becomes the next pending one.
func (b *bisection) divide() {
	mid := (b.cur.lo + b.cur.hi) / 2
	b.pending = append(b.pending, node{mid, b.cur.hi})
	b.cur = node{b.cur.lo, mid}
}

// next moves past the settled current node to the next pending one;
// false when none is left.
func (b *bisection) next() bool {
	if len(b.pending) == 0 {
		return false
	}
	b.cur = b.pending[len(b.pending)-1]
	b.pending = b.pending[:len(b.pending)-1]
	return true
}
