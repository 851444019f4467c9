package ingest

import (
	"sync"
	"time"

	"github.com/prws/prws/router"
)

// retainBytes bounds the buffers a pooled state may keep: a state that
// served a larger request is dropped instead of pooled, so one huge
// request does not pin its memory for ever.
const retainBytes = 64 << 20

// reqState is everything one request needs, pooled between requests so the
// steady state allocates nothing per series. A state is owned by one
// request at a time.
type reqState struct {
	comp  []byte // compressed body
	body  []byte // decoded body
	dec   decoder
	place placer
	done  chan error
	// submitted, if set, runs once the queues have taken the records and
	// the buffers are released, before the wait for the disk.
	submitted func()
	// retryAfter, when set, is the Retry-After of this request's 503
	// (a tenant over its limit; tenantlimit.go).
	retryAfter time.Duration

	hashFor *Routing // routing the hashers were built for
	limiter bool     // whether seriesH was wanted when built (see prepare)

	owner *statePool // where comp and body go while the request waits
	boxes []*bufBox  // spare boxes for releasing comp and body
}

// statePool hands out request states; it belongs to one Handler. The big
// buffers are pooled apart from the states: a request gives them back as
// soon as its records are submitted (the queues copied them), so the
// requests waiting for an fsync do not each pin body-sized buffers.
type statePool struct {
	pool sync.Pool
	bufs bufPool // compressed and decoded bodies
	accs bufPool // accumulator payloads and blocks
}

func (p *statePool) get() *reqState {
	s, ok := p.pool.Get().(*reqState)
	if !ok {
		s = &reqState{}
	}
	s.owner = p
	s.place.spare = &p.accs
	if cap(s.comp) == 0 {
		s.comp = p.bufs.lend(&s.boxes)
	}
	if cap(s.body) == 0 {
		s.body = p.bufs.lend(&s.boxes)
	}
	return s
}

// releaseBuffers hands comp and body to other requests. The caller must
// not use either afterwards (slices of them included).
func (s *reqState) releaseBuffers() {
	if s.owner == nil {
		return
	}
	s.owner.bufs.give(&s.comp, &s.boxes, retainBytes/4)
	s.owner.bufs.give(&s.body, &s.boxes, retainBytes/4)
}

// bufPool lends byte buffers from one request to another. A buffer
// travels in a bufBox and the borrower keeps the emptied box for the way
// back, so lending allocates nothing in the steady state. Safe for
// concurrent use.
type bufPool struct{ pool sync.Pool } // *bufBox

// bufBox carries a lent buffer through the pool.
type bufBox struct{ b []byte }

// lend returns a pooled buffer of length 0, or nil when there is none,
// and keeps its box in *boxes.
func (p *bufPool) lend(boxes *[]*bufBox) []byte {
	box, ok := p.pool.Get().(*bufBox)
	if !ok {
		return nil
	}
	b := box.b[:0]
	box.b = nil
	*boxes = append(*boxes, box)
	return b
}

// give moves *b into the pool (in a box from *boxes, or a new one) and
// sets *b to nil; a buffer of no capacity, or over max bytes, is dropped
// instead.
func (p *bufPool) give(b *[]byte, boxes *[]*bufBox, max int) {
	buf := *b
	*b = nil
	if cap(buf) == 0 || cap(buf) > max {
		return
	}
	var box *bufBox
	if n := len(*boxes); n > 0 {
		box, *boxes = (*boxes)[n-1], (*boxes)[:n-1]
	} else {
		box = new(bufBox)
	}
	box.b = buf
	p.pool.Put(box)
}

// put returns s to the pool unless it grew too large. The caller must have
// received every done value of the request first.
func (p *statePool) put(s *reqState) {
	s.place.clear()
	if cap(s.comp)+cap(s.body)+cap(s.dec.rewrite) > retainBytes {
		return
	}
	p.pool.Put(s)
}

// prepare binds s to the request's routing and options. lim is the
// limiter the request will consult (nil: none): only with one, and only
// when the routing hash is not already the full label-set hash, does the
// decoder compute a second hash per series.
func (s *reqState) prepare(rt *Routing, o *Options, ext []extLabel, nowMs int64, lim Limiter) {
	wantSeries := lim != nil && rt.Key != router.KeySeries
	if s.hashFor != rt || s.limiter != wantSeries {
		s.dec.routeH = rt.hasher(rt.Key)
		s.dec.seriesH = nil
		if wantSeries {
			s.dec.seriesH = rt.hasher(router.KeySeries)
		}
		s.hashFor, s.limiter = rt, wantSeries
	}
	s.dec.opts, s.dec.ext, s.dec.now = o, ext, nowMs
	s.dec.rules = rt.Relabel.global()
	s.place.reset(rt)
}

// doneChan returns an empty buffered channel with room for n values.
func (s *reqState) doneChan(n int) chan error {
	if cap(s.done) < n {
		s.done = make(chan error, n)
	}
	return s.done
}
