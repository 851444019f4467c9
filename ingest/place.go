package ingest

import (
	"errors"
	"fmt"
	"slices"

	"github.com/prws/prws/queue"
)

// errRouting: the routing answered a backend or shard it has no target for.
var errRouting = errors.New("routing has no target")

// placer is pass 2: it applies the limiter and the ring to the decoded
// entries and fills one accumulator per touched target. Reused across
// requests; not safe for concurrent use.
type placer struct {
	base        []int     // first flat target index of each backend
	accs        []acc     // by flat target index
	touched     []int     // flat indexes of accumulators in use, in first-use order
	dst         []int     // Lookup scratch
	alt         []int     // Lookup scratch for the all-healthy answer
	est         int       // bytes an accumulator is sized for when first touched
	spare       *bufPool  // lends accumulator payload and block buffers; nil: none
	boxes       []*bufBox // spare boxes for giving buffers back to spare
	degraded    bool      // some backend is down for this request's routing
	rerouted    int       // series placed elsewhere than with every backend up
	kept        int       // series admitted
	dropped     int       // series refused by the limiter
	keptSamples int       // samples + histograms of the admitted series
	// v2, when set, places a converted remote-write 2.0 request
	// (placeV2); nil for a 1.0 request.
	v2 *v2Placement

	// br evaluates per-backend write rules (relabelplace.go).
	br backendRelabel
}

// reset sizes the placer for rt. The placer must be clear.
func (p *placer) reset(rt *Routing) {
	p.kept, p.dropped, p.keptSamples, p.rerouted = 0, 0, 0, 0
	p.degraded = anyDown(rt)
	var n int
	p.base, n = rt.targetCount(p.base)
	if len(p.accs) < n {
		p.accs = append(p.accs, make([]acc, n-len(p.accs))...)
	}
}

// clear forgets what the last request touched: target references (so a
// pooled state does not pin a closed queue) and oversized buffers.
func (p *placer) clear() {
	for _, i := range p.touched {
		p.accs[i].reset(retainBytes / 8)
	}
	p.touched = p.touched[:0]
}

// acc returns the accumulator of (backend b, shard s), marking it touched.
func (p *placer) acc(rt *Routing, b, s int) (*acc, error) {
	if b < 0 || b >= len(rt.Targets) || s < 0 || s >= len(rt.Targets[b]) {
		return nil, noTarget(b, s)
	}
	a := &p.accs[p.base[b]+s]
	if a.target == nil {
		if a = p.touch(rt, b, s); a == nil {
			return nil, noTarget(b, s)
		}
	}
	return a, nil
}

// touch binds the untouched accumulator of (backend b, shard s), in
// range of rt's targets, to its target and returns it, or returns nil
// when the target is nil. It runs once per target and request: kept out
// of line so that the per-series loops around it stay small.
//
//go:noinline
func (p *placer) touch(rt *Routing, b, s int) *acc {
	t := rt.Targets[b][s]
	if t == nil {
		return nil
	}
	i := p.base[b] + s
	p.borrow(&p.accs[i].buf, p.est)
	p.accs[i].bind(t, p.est)
	p.touched = append(p.touched, i)
	return &p.accs[i]
}

// borrow gives *b a buffer from spare when it has less than min bytes
// of room and spare has one.
func (p *placer) borrow(b *[]byte, min int) {
	if cap(*b) >= min || p.spare == nil {
		return
	}
	if lent := p.spare.lend(&p.boxes); lent != nil {
		*b = lent
	}
}

// releaseBuffers gives the touched accumulators' payload and block
// buffers back to spare, once the queues have copied the records: the
// request then waits for the disk without pinning them. The records still
// point into the given buffers and must not be read afterwards; clear
// (acc.reset) drops them.
func (p *placer) releaseBuffers() {
	if p.spare == nil {
		return
	}
	for _, i := range p.touched {
		a := &p.accs[i]
		p.spare.give(&a.buf, &p.boxes, retainBytes/8)
		p.spare.give(&a.zbuf, &p.boxes, retainBytes/8)
	}
}

// noTarget is the error for a (backend b, shard s) rt has no target for.
func noTarget(b, s int) error {
	return fmt.Errorf("%w: backend %d shard %d", errRouting, b, s)
}

// place routes every decoded entry and metadata span of d: for a 1.0
// request the metadata first, to every shard of every backend, then the
// series; a 2.0 request (p.v2) with placeV2.
func (p *placer) place(rt *Routing, d *decoder, body []byte, lim Limiter, max int) error {
	p.est = shareBytes(len(body), rt)
	if p.v2 != nil {
		return p.placeV2(rt, d, body, lim, max)
	}
	if err := p.placeMetadata(rt, d.meta, body); err != nil {
		return err
	}
	if rt.Relabel.perBackend() {
		return p.placeRelabeled(rt, d, body, lim, max)
	}
	if ring := allUpRing(rt, p.degraded); ring != nil {
		return p.placeAllUp(rt, ring, d, body, lim, max)
	}
	return p.placeEach(rt, d, body, lim, max)
}

// admit asks lim (nil: admit all) about e and counts the answer.
func (p *placer) admit(lim Limiter, e *entry) bool {
	if lim != nil && !p.ask(lim, e) {
		return false
	}
	p.kept++
	p.keptSamples += e.samples
	return true
}

// ask is lim's answer for e, counting a refusal; out of line, so that
// admit inlines when there is no limiter.
//
//go:noinline
func (p *placer) ask(lim Limiter, e *entry) bool {
	skipRelabeled(lim, e.skipped)
	if lim.Admit(e.seriesHash, e.samples) {
		return true
	}
	p.dropped++
	return false
}

// entryBytes returns the bytes of e: in body, or in d's rewrite buffer.
func entryBytes(d *decoder, body []byte, e *entry) []byte {
	if e.rewritten {
		return d.rewrite[e.start:e.end]
	}
	return body[e.start:e.end]
}

// placeEach places every admitted entry of d through the Ring interface.
func (p *placer) placeEach(rt *Routing, d *decoder, body []byte, lim Limiter, max int) error {
	for i := range d.entries {
		e := &d.entries[i]
		if !p.admit(lim, e) {
			continue
		}
		if err := p.placeSeries(rt, e, entryBytes(d, body, e), max); err != nil {
			return err
		}
	}
	return nil
}

// placeSeries appends one series to each of its replicas' accumulators.
func (p *placer) placeSeries(rt *Routing, e *entry, payload []byte, max int) error {
	shard := p.lookup(rt, e)
	for _, b := range p.dst {
		a, err := p.acc(rt, b, shard)
		if err != nil {
			return err
		}
		a.add(queue.KindSeries, payload, e.samples, max)
	}
	return nil
}

// lookup sets p.dst to e's replicas, counting a series placed away from
// where it goes with every backend up, and returns e's shard.
func (p *placer) lookup(rt *Routing, e *entry) int {
	p.dst = rt.Ring.Lookup(e.hash, rt.Health, p.dst[:0])
	if p.degraded {
		p.alt = rt.Ring.Lookup(e.hash, nil, p.alt[:0])
		if !slices.Equal(p.dst, p.alt) {
			p.rerouted++
		}
	}
	return rt.Ring.Shard(e.hash)
}

// placeMetadata copies every metadata entry of a 1.0 request to every
// shard of every backend: a 1.0 sender sends metadata apart from the
// series it describes, which may go to any of them.
func (p *placer) placeMetadata(rt *Routing, meta []span, body []byte) error {
	if len(meta) == 0 {
		return nil
	}
	for b := range rt.Targets {
		for s := range rt.Targets[b] {
			a, err := p.acc(rt, b, s)
			if err != nil {
				return err
			}
			for _, m := range meta {
				a.add(queue.KindMetadata, body[m.start:m.end], 0, 0)
			}
		}
	}
	return nil
}

// anyDown reports whether rt's health has a backend down, in which case
// series are counted when the ring places them away from where they go
// with every backend up (prws_series_rerouted_total).
func anyDown(rt *Routing) bool {
	if rt.Health == nil {
		return false
	}
	for b := range rt.Targets {
		if !rt.Health.Up(b) {
			return true
		}
	}
	return false
}
