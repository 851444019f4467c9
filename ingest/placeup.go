package ingest

import (
	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

// allUpRing returns rt's ring when placeAllUp may place the request: a
// *router.Ring of one or two replicas, every backend up when the request
// began (degraded false: no Health, or one reporting all up, so Lookup
// answers Top2), and a target row of at least Shards() entries for every
// backend, so no answer is out of range of rt.Targets. Otherwise nil.
// Health is read once per request, as for the degraded flag: a backend
// that goes down meanwhile still gets the rest of the request, on disk
// in its queue like any backlog.
func allUpRing(rt *Routing, degraded bool) *router.Ring {
	ring, ok := rt.Ring.(*router.Ring)
	if !ok || degraded || ring.Replicas() > 2 || len(rt.Targets) < ring.Len() {
		return nil
	}
	for _, row := range rt.Targets[:ring.Len()] {
		if len(row) < ring.Shards() {
			return nil
		}
	}
	return ring
}

// placeAllUp is placeEach for a ring from allUpRing: the same
// accumulators in the same order, each series going to ring.Top2's
// backends as Lookup would answer them, without the interface calls and
// range checks of the general path.
func (p *placer) placeAllUp(rt *Routing, ring *router.Ring, d *decoder, body []byte, lim Limiter, max int) error {
	n := ring.Replicas()
	entries, base, accs := d.entries, p.base, p.accs
	for i := range entries {
		e := &entries[i]
		if !p.admit(lim, e) {
			continue
		}
		pl, shard := entryBytes(d, body, e), ring.Shard(e.hash)
		first, second := ring.Top2(e.hash)
		picks := [2]int{first, second}
		for _, b := range picks[:n] {
			a := &accs[base[b]+shard]
			if a.target == nil {
				if a = p.touch(rt, b, shard); a == nil {
					return noTarget(b, shard)
				}
			}
			a.add(queue.KindSeries, pl, e.samples, max)
		}
	}
	return nil
}

// shareBytes is the size hint of an accumulator for a body of n bytes:
// an even share of the body's copies (one per replica of a *router.Ring)
// over rt's targets, and a quarter more, so that most requests fill each
// buffer without growing it.
func shareBytes(n int, rt *Routing) int {
	copies := 1
	if ring, ok := rt.Ring.(*router.Ring); ok {
		copies = ring.Replicas()
	}
	targets := 0
	for _, row := range rt.Targets {
		targets += len(row)
	}
	if targets == 0 {
		return 0
	}
	share := n / targets * copies
	return share + share/4
}
