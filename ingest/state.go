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
	limiter bool     // whether seriesH was wanted when built
}

// statePool hands out request states; it belongs to one Handler.
type statePool struct {
	pool sync.Pool
}

func (p *statePool) get() *reqState {
	if s, ok := p.pool.Get().(*reqState); ok {
		return s
	}
	return &reqState{}
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

// prepare binds s to the request's routing and options.
func (s *reqState) prepare(rt *Routing, o *Options, ext []extLabel, nowMs int64) {
	wantSeries := o.Limiter != nil && rt.Key != router.KeySeries
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
