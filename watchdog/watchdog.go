package watchdog

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// backend is the watched state of one target.
type backend struct {
	name   string
	url    string
	client *http.Client
	m      backendMetrics

	// Guarded by Watchdog.mu:
	healthy bool      // raw verdict, before the all-down rule
	fails   int       // consecutive bad results
	goods   int       // consecutive good results
	lastErr string    // last bad result, redacted
	since   time.Time // time of the last transition (zero: none yet)
}

// Watchdog tracks which backends are healthy. Build it with New.
type Watchdog struct {
	opts     Options
	body     []byte // the probe request body; read-only
	backends []backend

	mu   sync.Mutex             // guards the health fields of backends and serialises publish
	view atomic.Pointer[[]bool] // effective membership; replaced, never mutated

	ctx       context.Context    // cancelled by Stop
	cancel    context.CancelFunc // cancels ctx
	done      chan struct{}      // closed when the probe loop returns
	startOnce sync.Once
	stopOnce  sync.Once
	started   atomic.Bool
}

// New returns a Watchdog over targets, all initially up. Indexes used by
// Up and ReportSendResult are indexes into targets. Nothing runs until
// Start.
func New(targets []Target, opts Options) *Watchdog {
	o := opts.withDefaults()
	w := &Watchdog{opts: o, body: emptyWriteBody(), done: make(chan struct{})}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.backends = make([]backend, len(targets))
	for i, t := range targets {
		c := t.Client
		if c == nil {
			c = http.DefaultClient
		}
		w.backends[i] = backend{name: t.Name, url: t.URL, client: c, healthy: true, m: o.Metrics.bind(t.Name)}
		w.backends[i].m.up.Set(1)
	}
	w.publish()
	return w
}

// Up reports whether backend i may take new series: it is healthy, or
// every backend is down. An index the watchdog does not watch is up. Up
// is lock-free and safe for concurrent use; it satisfies router.Health.
func (w *Watchdog) Up(i int) bool {
	v := *w.view.Load()
	return i < 0 || i >= len(v) || v[i]
}

// ReportSendResult feeds the outcome of a real write to backend i into
// its health: a failed send counts exactly like a failed probe, a
// successful one like a good probe. Safe for concurrent use; it does not
// block beyond a short lock (and OnChange on a transition). Out-of-range
// indexes are ignored.
func (w *Watchdog) ReportSendResult(i int, ok bool) {
	reason := ""
	if !ok {
		reason = "send failed"
	}
	w.record(i, ok, reason)
}

// record applies one result to backend i and handles a transition.
func (w *Watchdog) record(i int, ok bool, reason string) {
	if i < 0 || i >= len(w.backends) {
		return
	}
	b := &w.backends[i]
	w.mu.Lock()
	changed := w.apply(b, ok, reason)
	if changed {
		w.transition(b)
	}
	w.mu.Unlock()
	if changed && w.opts.OnChange != nil {
		w.opts.OnChange()
	}
}

// apply counts one result and reports whether b changed state. w.mu held.
func (w *Watchdog) apply(b *backend, ok bool, reason string) bool {
	if ok {
		b.goods, b.fails = b.goods+1, 0
		if !b.healthy && b.goods >= w.opts.RecoverAfter {
			b.healthy = true
			return true
		}
		return false
	}
	b.fails, b.goods, b.lastErr = b.fails+1, 0, reason
	if b.healthy && b.fails >= w.opts.FailAfter {
		b.healthy = false
		return true
	}
	return false
}

// transition logs, counts and publishes b's new state. w.mu held.
func (w *Watchdog) transition(b *backend) {
	b.since = w.opts.Now()
	to, up := "down", 0.0
	if b.healthy {
		to, up = "up", 1
	}
	b.m.up.Set(up)
	b.m.transitions(to).Inc()
	if b.healthy {
		w.opts.Logger.Info("backend up", "backend", b.name, "after_good_results", b.goods)
	} else {
		w.opts.Logger.Warn("backend down", "backend", b.name, "after_bad_results", b.fails, "last_error", b.lastErr)
	}
	wasAllDown := w.allDown()
	w.publish()
	if now := w.allDown(); now != wasAllDown {
		w.logAllDown(now)
	}
}

// allDown reports whether no backend is healthy. w.mu held (or New).
func (w *Watchdog) allDown() bool {
	for i := range w.backends {
		if w.backends[i].healthy {
			return false
		}
	}
	return len(w.backends) > 0
}

// logAllDown logs entering or leaving the all-down state.
func (w *Watchdog) logAllDown(down bool) {
	if down {
		w.opts.Logger.Error("all backends down: routing to every backend as if healthy; data queues on disk")
		return
	}
	w.opts.Logger.Info("a backend is up again: routing to healthy backends only")
}

// publish stores a new membership snapshot. w.mu held (or New).
func (w *Watchdog) publish() {
	all := w.allDown()
	v := make([]bool, len(w.backends))
	members := 0
	for i := range w.backends {
		v[i] = all || w.backends[i].healthy
		if v[i] {
			members++
		}
	}
	w.view.Store(&v)
	w.opts.Metrics.members.Set(float64(members))
	w.opts.Metrics.allDown.Set(b2f(all))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
