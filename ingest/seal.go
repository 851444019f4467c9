package ingest

import (
	"bytes"
	"slices"

	"github.com/prws/prws/queue"
)

// seal materialises the records of every touched accumulator with
// tenant, each carrying its queue.Compress block, or Raw for a payload
// that does not compress. It runs in the request's goroutine rather than
// under a queue's lock, and compresses once per distinct payload: when
// every series goes to every backend (replica_factor equal to the number
// of backends), shard s of each backend receives the same series in the
// same order, and their records share the blocks. The records and blocks
// stay owned by the accumulators until their reset.
func (p *placer) seal(tenant string) {
	for k, i := range p.touched {
		a := &p.accs[i]
		recs := a.records(tenant)
		if twin := p.twinOf(a, k); twin != nil {
			for j := range recs {
				recs[j].Block, recs[j].Raw = twin.recs[j].Block, twin.recs[j].Raw
			}
			continue
		}
		p.borrow(&a.zbuf, len(a.buf))
		a.compress(recs)
	}
}

// compress appends the block of every record of a to a.zbuf and points
// the records at them.
func (a *acc) compress(recs []queue.Record) {
	a.zbuf, a.zends = a.zbuf[:0], a.zends[:0]
	for j := range recs {
		a.zbuf, _ = queue.Compress(a.zbuf, recs[j].Payload)
		a.zends = append(a.zends, len(a.zbuf))
	}
	start := 0
	for j, end := range a.zends {
		if end > start {
			recs[j].Block = a.zbuf[start:end:end]
		} else {
			recs[j].Raw = true // the queue need not try again
		}
		start = end
	}
}

// twinOf returns an accumulator touched before the k-th (a) whose
// records are byte for byte a's, or nil. Lengths are compared first, so
// accumulators of different series cost no more than that.
func (p *placer) twinOf(a *acc, k int) *acc {
	for _, i := range p.touched[:k] {
		b := &p.accs[i]
		if len(b.buf) == len(a.buf) && slices.Equal(b.spans, a.spans) && bytes.Equal(b.buf, a.buf) {
			return b
		}
	}
	return nil
}
