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
	dst = s.pick(eligibleUp{eligible, health}, true, dst)
	if len(dst)-s.base < r.replicas && health != nil {
		dst = s.pick(eligibleDown{eligible, health}, true, dst)
	}
	return dst
}

// eligibleUp is up for the eligible backends health holds up (all, with
// a nil health).
type eligibleUp struct{ eligible, health Health }

func (e eligibleUp) Up(i int) bool {
	return e.eligible.Up(i) && (e.health == nil || e.health.Up(i))
}

// eligibleDown is up for the eligible backends health holds down.
type eligibleDown struct{ eligible, health Health }

func (e eligibleDown) Up(i int) bool { return e.eligible.Up(i) && !e.health.Up(i) }
