package ingest

import (
	"errors"
	"fmt"
	"slices"

	"github.com/prws/prws/queue"
)

// errRouting: the routing answered a backend or shard it has no target for.
var errRouting = errors.New("routing has no target")

// recSpan is one future queue record: acc.buf[start:end].
type recSpan struct {
	kind       queue.Kind
	start, end int
	samples    int
}

// acc accumulates the payload bytes bound for one (backend, shard) target.
type acc struct {
	target Target // set while touched
	buf    []byte
	spans  []recSpan
	recs   []queue.Record
}

// add appends payload p (one entry of the given kind) to the accumulator,
// opening a new record when the kind changes or the series record would
// pass max samples; a record always takes at least one entry.
func (a *acc) add(kind queue.Kind, p []byte, samples, max int) {
	n := len(a.spans)
	if n == 0 || a.spans[n-1].kind != kind ||
		(a.spans[n-1].samples > 0 && a.spans[n-1].samples+samples > max) {
		a.spans = append(a.spans, recSpan{kind: kind, start: len(a.buf), end: len(a.buf)})
		n++
	}
	a.buf = append(a.buf, p...)
	s := &a.spans[n-1]
	s.end = len(a.buf)
	s.samples += samples
}

// records materialises the spans as queue records sharing a.buf.
func (a *acc) records(tenant string) []queue.Record {
	a.recs = a.recs[:0]
	for _, s := range a.spans {
		a.recs = append(a.recs, queue.Record{
			Kind: s.kind, Tenant: tenant, Samples: s.samples, Payload: a.buf[s.start:s.end:s.end],
		})
	}
	return a.recs
}

// placer is pass 2: it applies the limiter and the ring to the decoded
// entries and fills one accumulator per touched target. Reused across
// requests; not safe for concurrent use.
type placer struct {
	base        []int // first flat target index of each backend
	accs        []acc // by flat target index
	touched     []int // flat indexes of accumulators in use, in first-use order
	dst         []int // Lookup scratch
	alt         []int // Lookup scratch for the all-healthy answer
	degraded    bool  // some backend is down for this request's routing
	rerouted    int   // series placed elsewhere than with every backend up
	kept        int   // series admitted
	dropped     int   // series refused by the limiter
	keptSamples int   // samples + histograms of the admitted series
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
		a := &p.accs[i]
		a.target, a.buf, a.spans = nil, a.buf[:0], a.spans[:0]
		clear(a.recs)
		if cap(a.buf) > retainBytes/8 {
			a.buf = nil
		}
	}
	p.touched = p.touched[:0]
}

// acc returns the accumulator of (backend b, shard s), marking it touched.
func (p *placer) acc(rt *Routing, b, s int) (*acc, error) {
	if b < 0 || b >= len(rt.Targets) || s < 0 || s >= len(rt.Targets[b]) || rt.Targets[b][s] == nil {
		return nil, fmt.Errorf("%w: backend %d shard %d", errRouting, b, s)
	}
	i := p.base[b] + s
	a := &p.accs[i]
	if a.target == nil {
		a.target = rt.Targets[b][s]
		p.touched = append(p.touched, i)
	}
	return a, nil
}

// place routes every decoded entry and metadata span of d.
func (p *placer) place(rt *Routing, d *decoder, body []byte, lim Limiter, max int) error {
	for i := range d.entries {
		e := &d.entries[i]
		if lim != nil && !lim.Admit(e.seriesHash, e.samples) {
			p.dropped++
			continue
		}
		p.kept++
		p.keptSamples += e.samples
		src := body
		if e.rewritten {
			src = d.rewrite
		}
		if err := p.placeSeries(rt, e, src[e.start:e.end], max); err != nil {
			return err
		}
	}
	return p.placeMetadata(rt, d.meta, body)
}

// placeSeries appends one series to each of its replicas' accumulators.
func (p *placer) placeSeries(rt *Routing, e *entry, payload []byte, max int) error {
	p.dst = rt.Ring.Lookup(e.hash, rt.Health, p.dst[:0])
	if p.degraded {
		p.alt = rt.Ring.Lookup(e.hash, nil, p.alt[:0])
		if !slices.Equal(p.dst, p.alt) {
			p.rerouted++
		}
	}
	shard := rt.Ring.Shard(e.hash)
	for _, b := range p.dst {
		a, err := p.acc(rt, b, shard)
		if err != nil {
			return err
		}
		a.add(queue.KindSeries, payload, e.samples, max)
	}
	return nil
}

// placeMetadata copies every metadata entry to shard 0 of every backend.
func (p *placer) placeMetadata(rt *Routing, meta []span, body []byte) error {
	if len(meta) == 0 {
		return nil
	}
	for b := range rt.Targets {
		a, err := p.acc(rt, b, 0)
		if err != nil {
			return err
		}
		for _, m := range meta {
			a.add(queue.KindMetadata, body[m.start:m.end], 0, 0)
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
