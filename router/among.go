package router

// LookupAmong is Lookup restricted to the backends eligible reports
// true for (per-backend relabeling decides eligibility per series): it
// appends to dst, most preferred first, up to Replicas() distinct
// eligible backends, the healthy ones first and then, when fewer are
// healthy, the eligible backends that are down, in rank order. With
// fewer eligible backends than replicas it answers all of them; with
// none it answers none. Among the eligible backends the answer is the
// one Lookup gives on a ring of those backends alone, so placement stays
// as stable as the eligibility. health may be nil (all up). It does not
// allocate when dst has room, and costs what Lookup costs.
func (r *Ring) LookupAmong(h uint64, eligible, health Health, dst []int) []int {
	var cache [stackScores]uint64
	var scores []uint64
	if len(r.ids) <= stackScores {
		scores = cache[:len(r.ids)]
		for i := range scores {
			scores[i] = r.score(h, i)
		}
	}
	s := selector{r: r, h: h, scores: scores, base: len(dst)}
	dst = s.pickAmong(eligible, health, true, dst)
	if len(dst)-s.base < r.replicas && health != nil {
		dst = s.pickAmong(eligible, health, false, dst)
	}
	return dst
}

// pickAmong is pick over the eligible backends (all when eligible is
// nil) whose health is up (any health when health is nil), without
// boxing a combined Health.
func (s *selector) pickAmong(eligible, health Health, up bool, dst []int) []int {
	var prev rank
	first := true
	for len(dst)-s.base < s.r.replicas {
		best, bestRank := -1, rank{}
		for i := range s.r.ids {
			cand := s.rank(i)
			if !first && !prev.before(cand) || best >= 0 && !cand.before(bestRank) {
				continue
			}
			if eligible != nil && !eligible.Up(i) || health != nil && health.Up(i) != up || contains(dst[s.base:], i) {
				continue
			}
			best, bestRank = i, cand
		}
		if best < 0 {
			return dst
		}
		dst = append(dst, best)
		prev, first = bestRank, false
	}
	return dst
}
