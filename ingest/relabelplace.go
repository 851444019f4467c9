package ingest

import (
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

// amongRing is a Ring that can place a series among the backends a
// per-series eligibility allows; *router.Ring is one.
type amongRing interface {
	LookupAmong(h uint64, eligible, health router.Health, dst []int) []int
}

// backendOut is what backend b's write rules made of the series being
// placed: kept or not, and when rewritten its bytes in backendRelabel.buf.
type backendOut struct {
	keep       bool
	rewritten  bool
	start, end int
}

// backendRelabel is pass 2's per-backend relabeling scratch, reused
// across requests. Not safe for concurrent use.
type backendRelabel struct {
	p        seriesParser
	rl       relabeler
	out      []backendOut // by backend, for the series being placed
	buf      []byte       // rewrites of the series being placed
	dropped  []int        // by backend: series its rules dropped in this request
	invalid  []int        // by backend: series its rules made invalid, dropped
	unrouted int          // series every backend's rules dropped in this request
}

// reset sizes the scratch for n backends and zeroes the counts.
func (br *backendRelabel) reset(n int) {
	br.out = resize(br.out, n)
	br.dropped, br.invalid = resize(br.dropped, n), resize(br.invalid, n)
	clear(br.dropped)
	clear(br.invalid)
	br.unrouted = 0
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Up reports whether backend i keeps the series being placed: br is the
// eligibility of LookupAmong.
func (br *backendRelabel) Up(i int) bool { return i < len(br.out) && br.out[i].keep }

// evaluate runs every backend's write rules on the series entry pl
// (sorted labels) and reports whether any backend keeps it.
func (br *backendRelabel) evaluate(rel *Relabeling, pl []byte, o *Options) bool {
	f, _, err := nextField(pl, 0)
	if err != nil {
		return false // cannot happen: pass 1 produced pl
	}
	if _, err := br.p.parse(pl, f.start, f.end); err != nil {
		return false
	}
	br.rl.load(&br.p, pl)
	br.buf = br.buf[:0]
	kept := false
	for b := range br.out {
		br.out[b] = br.one(rel, b, pl, span{f.start, f.end}, o)
		kept = kept || br.out[b].keep
	}
	return kept
}

// one is backend b's verdict on the loaded series pl (body at body).
func (br *backendRelabel) one(rel *Relabeling, b int, pl []byte, body span, o *Options) backendOut {
	rules := rel.rules(b)
	if len(rules) == 0 {
		return backendOut{keep: true}
	}
	ls, keep, changed := br.rl.apply(rules)
	switch {
	case !keep:
		br.dropped[b]++
		return backendOut{}
	case !changed:
		return backendOut{keep: true}
	case !validRelabeled(ls, o):
		br.invalid[b]++
		return backendOut{}
	}
	start := len(br.buf)
	br.buf, _ = appendSeries(br.buf, ls, br.p.otherFields(pl, body, &br.rl.scratch), nil)
	return backendOut{keep: true, rewritten: true, start: start, end: len(br.buf)}
}

// payload is what backend b gets of the series pl.
func (br *backendRelabel) payload(b int, pl []byte) []byte {
	if o := br.out[b]; o.rewritten {
		return br.buf[o.start:o.end]
	}
	return pl
}

// placeRelabeled is placeEach when some backend has write rules: each
// series goes to the backends its rules keep, placed by the ring among
// those only, rewritten where a backend's rules rewrite it. A series no
// backend keeps is counted (unrouted) and consumes no limiter budget.
func (p *placer) placeRelabeled(rt *Routing, d *decoder, body []byte, lim Limiter, max int) error {
	p.br.reset(len(rt.Targets))
	for i := range d.entries {
		e := &d.entries[i]
		pl := entryBytes(d, body, e)
		if !p.br.evaluate(rt.Relabel, pl, d.opts) {
			p.br.unrouted++
			if lim != nil {
				skipRelabeled(lim, e.skipped+1)
			}
			continue
		}
		if !p.admit(lim, e) {
			continue
		}
		p.lookupAmong(rt, e.hash)
		shard := rt.Ring.Shard(e.hash)
		for _, b := range p.dst {
			a, err := p.acc(rt, b, shard)
			if err != nil {
				return err
			}
			a.add(queue.KindSeries, p.br.payload(b, pl), e.samples, max)
		}
	}
	return nil
}

// lookupAmong sets p.dst to the eligible backends of hash h (p.br holds
// the eligibility) and counts a reroute.
func (p *placer) lookupAmong(rt *Routing, h uint64) {
	ring, ok := rt.Ring.(amongRing)
	if !ok { // a Ring without LookupAmong: its answer, less the ineligible
		p.dst = rt.Ring.Lookup(h, rt.Health, p.dst[:0])
		p.dst = filterEligible(p.dst, &p.br)
		return
	}
	p.dst = ring.LookupAmong(h, &p.br, rt.Health, p.dst[:0])
	if p.degraded {
		p.alt = ring.LookupAmong(h, &p.br, nil, p.alt[:0])
		if !slices.Equal(p.dst, p.alt) {
			p.rerouted++
		}
	}
}

func filterEligible(dst []int, br *backendRelabel) []int {
	out := dst[:0]
	for _, b := range dst {
		if br.Up(b) {
			out = append(out, b)
		}
	}
	return out
}

// relabelMetrics count what relabeling dropped. Safe for concurrent use.
type relabelMetrics struct {
	dropped  *prometheus.CounterVec // backend ("global" or a backend), reason
	unrouted prometheus.Counter
}

func newRelabelMetrics(reg prometheus.Registerer) relabelMetrics {
	m := relabelMetrics{
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prws_relabel_dropped_series_total",
			Help: "Series dropped by relabel rules: backend=\"global\" for relabel_configs, else that backend's write_relabel_configs; reason=\"rule\" (a drop, keep, ... rule or an empty result) or \"invalid\" (the rules made a label invalid).",
		}, []string{"backend", "reason"}),
		unrouted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "prws_relabel_unrouted_series_total",
			Help: "Series that every backend's write_relabel_configs dropped: stored nowhere.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.dropped, m.unrouted)
	}
	return m
}

// record adds one request's relabel drops.
func (m relabelMetrics) record(rel *Relabeling, d *decoder, br *backendRelabel) {
	add := func(backend, reason string, n int) {
		if n > 0 {
			m.dropped.WithLabelValues(backend, reason).Add(float64(n))
		}
	}
	add("global", "rule", d.relabelDropped)
	add("global", "invalid", d.relabelInvalid)
	if br == nil || !rel.perBackend() {
		return
	}
	for b := range br.dropped {
		name := strconv.Itoa(b)
		if b < len(rel.Names) {
			name = rel.Names[b]
		}
		add(name, "rule", br.dropped[b])
		add(name, "invalid", br.invalid[b])
	}
	if br.unrouted > 0 {
		m.unrouted.Add(float64(br.unrouted))
	}
}
