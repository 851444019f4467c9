package watchdog

import (
	"context"
	"sync"
)

// Start launches the probe loop and returns at once: a first round runs
// immediately, then one every Interval. Calling it again, or after
// Stop, has no effect.
func (w *Watchdog) Start() {
	w.startOnce.Do(func() {
		if w.ctx.Err() != nil {
			return
		}
		w.started.Store(true)
		go w.run()
	})
}

// run probes until Stop.
func (w *Watchdog) run() {
	defer close(w.done)
	t := w.opts.NewTicker(w.opts.Interval)
	defer t.Stop()
	for {
		w.ProbeOnce(w.ctx)
		select {
		case <-w.ctx.Done():
			return
		case <-t.C():
		}
	}
}

// ProbeOnce probes every backend in parallel, applies the results and
// returns when all probes have finished (each bounded by Timeout). The
// probe loop calls it; tests and start-up code may call it directly.
// Probes cut short by ctx's cancellation are not counted.
func (w *Watchdog) ProbeOnce(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range w.backends {
		wg.Go(func() {
			err := w.probe(ctx, &w.backends[i])
			if ctx.Err() != nil {
				return
			}
			w.opts.Metrics.probe(w.backends[i].name, err == nil)
			reason := ""
			if err != nil {
				reason = err.Error()
			}
			w.record(i, err == nil, reason)
		})
	}
	wg.Wait()
}

// Stop cancels in-flight probes and waits for the loop to return, which
// takes at most about Timeout. Health state is kept in memory only; the
// next start begins with every backend up. Idempotent.
func (w *Watchdog) Stop() {
	w.stopOnce.Do(func() {
		w.cancel()
		if w.started.Load() {
			<-w.done
		}
	})
}
