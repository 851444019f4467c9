package router

// stackScores is the ring size up to which Lookup computes every score
// once, in a stack array, instead of once per replica.
const stackScores = 32

// Lookup appends to dst the indexes (into the ids given to New) of the
// backends series hash h goes to, most preferred first, and returns it.
// health may be nil (all up). When fewer than replicas backends are up,
// down backends fill the remaining places in ring order; when none is up,
// the answer is as if all were up.
//
// Lookup does not allocate when dst has room for Replicas() more elements.
// It costs N score computations (N·R above 32 backends) and O(N·R)
// comparisons for N backends and R replicas.
func (r *Ring) Lookup(h uint64, health Health, dst []int) []int {
	if health == nil && r.replicas <= 2 {
		return r.top2(h, dst)
	}
	var cache [stackScores]uint64
	var scores []uint64
	if len(r.ids) <= stackScores {
		scores = cache[:len(r.ids)]
		for i := range scores {
			scores[i] = r.score(h, i)
		}
	}
	s := selector{r: r, h: h, scores: scores, base: len(dst)}
	if health == nil {
		return s.pick(nil, false, dst)
	}
	dst = s.pick(health, true, dst)
	if len(dst)-s.base < r.replicas {
		dst = s.pick(health, false, dst)
	}
	if len(dst)-s.base < r.replicas {
		// Only reachable when health changed its answers during this call.
		dst = s.pick(nil, false, dst)
	}
	return dst
}

// Top2 returns the first two picks Lookup answers for series hash h
// with every backend up: first is the backend of highest rank, second
// the next one, or -1 on a one-backend ring. Lookup(h, nil, dst) appends
// first with one replica and first, second with two. Safe for concurrent
// use; it costs N score computations and does not allocate.
func (r *Ring) Top2(h uint64) (first, second int) {
	seeds := r.seeds
	if !r.distinct || len(seeds) < 2 {
		return r.top2Ties(h)
	}
	// mix64 is a bijection: distinct seeds give distinct scores, so the
	// scores alone order the backends.
	b1, s1 := 0, mix64(h^seeds[0])
	b2, s2 := 1, mix64(h^seeds[1])
	if s2 > s1 {
		b1, s1, b2, s2 = b2, s2, b1, s1
	}
	for i := 2; i < len(seeds); i++ {
		if s := mix64(h ^ seeds[i]); s > s1 {
			b2, s2, b1, s1 = b1, s1, i, s
		} else if s > s2 {
			b2, s2 = i, s
		}
	}
	return b1, b2
}

// top2Ties is Top2 for rings where scores may be equal (equal seeds, as
// only tests build) and for one-backend rings: ranks are compared in
// full, ids breaking ties.
func (r *Ring) top2Ties(h uint64) (first, second int) {
	b1, r1 := 0, rank{r.score(h, 0), r.ids[0]}
	b2, r2 := -1, rank{}
	for i := 1; i < len(r.ids); i++ {
		cand := rank{r.score(h, i), r.ids[i]}
		switch {
		case cand.before(r1):
			b2, r2 = b1, r1
			b1, r1 = i, cand
		case b2 < 0 || cand.before(r2):
			b2, r2 = i, cand
		}
	}
	return b1, b2
}

// top2 appends the first one or two picks of pick(nil, ...), the
// backends of highest rank in rank order. It is Lookup's path for one or
// two replicas with every backend up.
func (r *Ring) top2(h uint64, dst []int) []int {
	first, second := r.Top2(h)
	if r.replicas == 1 {
		return append(dst, first)
	}
	return append(dst, first, second)
}

// selector is the state of one Lookup.
type selector struct {
	r      *Ring
	h      uint64
	scores []uint64 // scores[i] of backend i, or nil to compute on demand
	base   int      // the picks are dst[base:]
}

func (s *selector) rank(i int) rank {
	if s.scores != nil {
		return rank{s.scores[i], s.r.ids[i]}
	}
	return rank{s.r.score(s.h, i), s.r.ids[i]}
}

// rank orders candidates: a higher score wins, equal scores go to the
// smaller id. It is a strict total order because ids are distinct.
type rank struct {
	score uint64
	id    string
}

func (a rank) before(b rank) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.id < b.id
}

// pick appends, in rank order, the best backends whose health equals up
// (any backend when health is nil) until dst[base:] holds replicas
// entries or no candidate is left. Each round selects the best candidate
// ranked strictly after the previous pick, so no backend is picked twice
// within one call; dst[base:] is checked as well, so a backend whose health
// flips between two calls of one Lookup is not added twice.
func (s *selector) pick(health Health, up bool, dst []int) []int {
	return s.pickAmong(nil, health, up, dst)
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
