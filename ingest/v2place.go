package ingest

import (
	"fmt"
	"slices"

	"github.com/prws/prws/queue"
)

// v2Placement is what a remote-write 2.0 request adds to its placement
// (placer.v2): the kind of its series records and the metadata entry of
// each series. Owned by the request's state.
type v2Placement struct {
	// kind is queue.KindSeriesST when a start timestamp was kept, else
	// queue.KindSeries.
	kind queue.Kind
	// seriesMeta is, per converted series (decoded entries and the series
	// the global relabel rules dropped, entry.skipped), the index of its
	// family's entry among the decoder's metadata spans, or -1 for none.
	seriesMeta []int32
}

// placeV2 places a converted remote-write 2.0 request: every admitted
// series goes to its replicas as placeEach sends it, and every record a
// series goes into also holds, before it, the metadata entry of its
// family (once a record): so metadata travels with its series to every
// shard and backend they go to, and a batch, made of whole records,
// always holds the metadata of its series.
func (p *placer) placeV2(rt *Routing, d *decoder, body []byte, lim Limiter, max int) error {
	v2 := p.v2
	if len(v2.seriesMeta) < len(d.entries) {
		return fmt.Errorf("%w: %d series, %d metadata references", errRouting, len(d.entries), len(v2.seriesMeta))
	}
	relabeled := rt.Relabel.perBackend()
	if relabeled {
		p.br.reset(len(rt.Targets))
	}
	orig := -1 // index of e among the converted series
	for i := range d.entries {
		e := &d.entries[i]
		orig += e.skipped + 1
		pl := entryBytes(d, body, e)
		if relabeled && !p.br.evaluate(rt.Relabel, pl, d.opts) {
			p.br.unrouted++
			if lim != nil {
				skipRelabeled(lim, e.skipped+1)
			}
			continue
		}
		if !p.admit(lim, e) {
			continue
		}
		mi, md := int32(-1), []byte(nil)
		if orig < len(v2.seriesMeta) {
			mi = v2.seriesMeta[orig]
		}
		if mi >= 0 && int(mi) < len(d.meta) {
			md = body[d.meta[mi].start:d.meta[mi].end]
		} else {
			mi = -1
		}
		if err := p.placeV2Series(rt, e, pl, relabeled, max, mi, md); err != nil {
			return err
		}
	}
	return nil
}

// placeV2Series adds one admitted series (payload pl) of a 2.0 request to
// the records of its backends: those the ring picks, or, with per-backend
// write rules (relabeled), those the rules keep it for, each with its own
// rewritten copy.
func (p *placer) placeV2Series(rt *Routing, e *entry, pl []byte, relabeled bool, max int, mi int32, md []byte) error {
	var shard int
	if relabeled {
		p.lookupAmong(rt, e.hash)
		shard = rt.Ring.Shard(e.hash)
	} else {
		shard = p.lookup(rt, e)
	}
	for _, b := range p.dst {
		a, err := p.acc(rt, b, shard)
		if err != nil {
			return err
		}
		payload := pl
		if relabeled {
			payload = p.br.payload(b, pl)
		}
		a.addWithMeta(p.v2.kind, payload, e.samples, max, mi, md)
	}
	return nil
}

// addWithMeta is add for a series whose family's metadata entry is md
// (index mi in its request; -1: none): md is appended first unless the
// record the series goes into already holds it.
func (a *acc) addWithMeta(kind queue.Kind, p []byte, samples, max int, mi int32, md []byte) {
	if kind != a.open.kind || a.open.samples+samples > max && a.open.samples > 0 {
		a.cut(kind)
	}
	if mi >= 0 {
		if n := int(mi) + 1; len(a.metaIn) < n {
			at := len(a.metaIn)
			a.metaIn = slices.Grow(a.metaIn, n-at)[:n]
			clear(a.metaIn[at:])
		}
		if rec := int32(len(a.spans) + 1); a.metaIn[mi] != rec {
			a.buf = append(a.buf, md...)
			a.metaIn[mi] = rec
		}
	}
	a.add(kind, p, samples, max)
}
