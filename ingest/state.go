package ingest

import (
	"sync"

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

	hashFor *Routing // routing the hashers were built for
	limiter bool     // whether seriesH was wanted when built (see prepare)

	owner *statePool // where comp and body go while the request waits
	boxes []*bufBox  // spare boxes for releasing comp and body
}

// bufBox carries a released buffer through the pool without allocating.
type bufBox struct{ b []byte }

// statePool hands out request states; it belongs to one Handler. Request
// buffers (compressed and decoded body) are pooled apart from the states:
// a request gives them back as soon as its records are submitted, so the
// requests waiting for an fsync do not each pin two body-sized buffers.
type statePool struct {
	pool sync.Pool
	bufs sync.Pool // *bufBox
}

func (p *statePool) get() *reqState {
	s, ok := p.pool.Get().(*reqState)
	if !ok {
		s = &reqState{}
	}
	s.owner = p
	s.refill(&s.comp)
	s.refill(&s.body)
	return s
}

// refill gives *b a pooled buffer when it has none.
func (s *reqState) refill(b *[]byte) {
	if cap(*b) > 0 {
		return
	}
	if box, ok := s.owner.bufs.Get().(*bufBox); ok {
		*b, box.b = box.b[:0], nil
		s.boxes = append(s.boxes, box)
	}
}

// releaseBuffers hands comp and body to other requests. The caller must
// not use either afterwards (slices of them included).
func (s *reqState) releaseBuffers() {
	if s.owner == nil {
		return
	}
	s.release(&s.comp)
	s.release(&s.body)
}

func (s *reqState) release(b *[]byte) {
	if cap(*b) == 0 || cap(*b) > retainBytes/4 {
		*b = nil
		return
	}
	var box *bufBox
	if n := len(s.boxes); n > 0 {
		box, s.boxes = s.boxes[n-1], s.boxes[:n-1]
	} else {
		box = new(bufBox)
	}
	box.b, *b = *b, nil
	s.owner.bufs.Put(box)
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
	s.place.reset(rt)
}

// doneChan returns an empty buffered channel with room for n values.
func (s *reqState) doneChan(n int) chan error {
	if cap(s.done) < n {
		s.done = make(chan error, n)
	}
	return s.done
}
