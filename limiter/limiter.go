package limiter

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Limiter admits or refuses series against the hourly and daily limits.
// Admit, Status and Flush are safe for concurrent use. Build it with New.
type Limiter struct {
	opts    Options
	p       Persister
	trk     [numWindows]*tracker // nil where the window has no limit
	active  []*tracker           // the non-nil trackers, hour first
	stripes [numStripes]stripe
	drops   [numWindows]dropCounters
	m       [numWindows]windowMetrics

	flushMu sync.Mutex           // guards acc and serialises flushes
	acc     [numWindows]flushAcc // hashes taken from stripes, not yet committed

	startOnce sync.Once
	closeOnce sync.Once
	stop      chan struct{} // closed by Close
	done      chan struct{} // closed when the flush loop has returned
	started   atomic.Bool
	closeErr  error // result of Close; written once under closeOnce
}

// dropCounters count refusals since the Limiter was built.
type dropCounters struct {
	rows   atomic.Uint64 // samples of refused series
	series atomic.Uint64 // refused Admit calls
}

// New builds a Limiter and loads the current windows from p, deleting
// expired ones (one Update transaction). p may be nil only when no limit
// is set. The Limiter does not persist anything until Start or Flush.
func New(opts Options, p Persister) (*Limiter, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	l := &Limiter{opts: o, p: p, stop: make(chan struct{}), done: make(chan struct{})}
	now := o.Now().Unix()
	for w := range numWindows {
		if lim := o.limit(w); lim > 0 {
			t := &tracker{kind: w, limit: lim}
			t.advance(now)
			l.trk[w], l.active = t, append(l.active, t)
		}
		l.m[w] = o.Metrics.bind(w, o.limit(w))
	}
	if len(l.active) > 0 && p == nil {
		return nil, fmt.Errorf("%w: a limit is set but no Persister given", ErrOptions)
	}
	if p != nil {
		if err := l.load(); err != nil {
			return nil, err
		}
	}
	l.refreshGauges()
	return l, nil
}

// Admit reports whether the samples of the series with hash seriesHash
// may be accepted, and records the series in every limited window when it
// is new there. A refused call adds samples to the drop counters of the
// first window (hour, then day) that refused. Admit never blocks on I/O
// and does not allocate for an already admitted series. Hash 0 is
// treated as 1.
func (l *Limiter) Admit(seriesHash uint64, samples int) bool {
	if len(l.active) == 0 {
		return true
	}
	h := max(seriesHash, 1)
	now := l.opts.Now().Unix()
	for _, t := range l.active {
		t.advance(now)
	}
	s := &l.stripes[stripeOf(h)]
	s.mu.Lock()
	refused := l.admitLocked(s, h)
	s.mu.Unlock()
	if refused < 0 {
		return true
	}
	l.countDrop(refused, samples)
	return false
}

// admitLocked decides for h with s.mu held and returns the refusing
// window, or -1. Budget is reserved in every window before h is recorded
// in any, so a series refused by one window uses no budget of the other.
func (l *Limiter) admitLocked(s *stripe, h uint64) window {
	var got [numWindows]*epoch
	for _, t := range l.active {
		ep := t.cur.Load() // loaded under s.mu: never older than s's epoch
		sw := &s.w[t.kind]
		if sw.start != ep.start {
			sw.roll(ep.start)
		}
		if sw.set.has(h) {
			continue
		}
		if !t.reserve(ep) {
			release(got)
			return t.kind
		}
		got[t.kind] = ep
	}
	for w, ep := range got {
		if ep != nil {
			sw := &s.w[w]
			sw.set.add(h)
			sw.pending = append(sw.pending, h)
		}
	}
	return -1
}

// release returns the budget reserved in got.
func release(got [numWindows]*epoch) {
	for _, ep := range got {
		if ep != nil {
			ep.count.Add(-1)
		}
	}
}

// countDrop records a refusal by window w.
func (l *Limiter) countDrop(w window, samples int) {
	d := &l.drops[w]
	d.rows.Add(uint64(samples))
	d.series.Add(1)
	l.m[w].rowsDropped.Add(float64(samples))
	l.m[w].seriesDropped.Inc()
}

// Start launches the background flush loop and returns at once. Calling
// it again has no effect.
func (l *Limiter) Start() {
	l.startOnce.Do(func() {
		l.started.Store(true)
		go l.run()
	})
}

// run flushes every FlushInterval until Close.
func (l *Limiter) run() {
	defer close(l.done)
	t := time.NewTicker(l.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			if err := l.Flush(); err != nil {
				l.opts.Logger.Warn("limiter flush failed, will retry", "err", err)
			}
		}
	}
}

// Close stops the flush loop, waiting for a flush in progress, and
// flushes what is left; after it returns without error every admitted
// series is persisted. Admit keeps answering after Close but nothing
// more is persisted. Close is idempotent and returns the same error.
func (l *Limiter) Close() error {
	l.closeOnce.Do(func() {
		close(l.stop)
		if l.started.Load() {
			<-l.done
		}
		l.closeErr = l.Flush()
	})
	return l.closeErr
}
