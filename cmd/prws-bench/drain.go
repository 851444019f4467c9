package main

import (
	"context"
	"fmt"
	"log"
	"sync/atomic"
	"time"
)

// drainConfig sizes the drain scenario.
type drainConfig struct {
	VictoriaMetrics string        // victoria-metrics binary; "" or missing skips that backend
	SinkDelay       time.Duration // answer delay of the slow decoding sink
	BuildRate       float64       // samples/s that build the backlog; 0 = half the slowest relay's rf1 saturation
	LiveRate        float64       // live samples/s during the drain; 0 = only the no-live runs
	Lag             time.Duration // live traffic still in flight that counts as caught up
}

// drainRun is what one drain measured.
type drainRun struct {
	backlog    int64   // samples acknowledged while the backend was down
	delivery   float64 // samples/s the backend received, first to last arrival
	catchUp    float64 // delivery minus live ingest over the same span
	cpuPerM    float64 // relay CPU-s per million samples delivered
	rssKB      int64   // largest VmRSS during the drain
	firstAfter time.Duration
	incomplete string // why it did not catch up, "" when it did
}

// drainScenario runs the drain for every backend, with and without live
// traffic, every relay in turn for each round; one row per (backend,
// live rate, relay) with the medians.
func drainScenario(ctx context.Context, e *env, bodies []body, res *results) error {
	c := e.cfg
	build := c.Drain.BuildRate
	if build <= 0 {
		for _, k := range c.Kinds {
			if s := res.sat[k] / 2; build == 0 || s < build {
				build = s
			}
		}
	}
	backends, err := drainBackends(ctx, e)
	for _, b := range backends {
		defer b.close()
	}
	if err != nil {
		return err
	}
	lives := []float64{0}
	if c.Drain.LiveRate > 0 {
		lives = append(lives, c.Drain.LiveRate)
	}
	for _, b := range backends {
		for _, live := range lives {
			runs := map[proxyKind][]row{}
			for range max(c.Rounds, 1) {
				for _, k := range c.Kinds {
					d, err := drainOnce(ctx, e, k, b, bodies, build, live)
					if err != nil {
						return err
					}
					r := d.toRow(drainName(live), k, b.name(), build)
					logRow(fmt.Sprintf("run %d: ", len(runs[k])+1), r)
					runs[k] = append(runs[k], r)
				}
			}
			for _, k := range c.Kinds {
				res.add(medianRow(runs[k]))
			}
		}
	}
	return nil
}

// drainName is the scenario column of a drain row.
func drainName(live float64) string {
	if live == 0 {
		return "drain"
	}
	return fmt.Sprintf("drain, %.0fk/s live", live/1000)
}

// drainBackends starts the backends of the drain: VictoriaMetrics when
// its binary is there, and a decoding sink answering after SinkDelay.
func drainBackends(ctx context.Context, e *env) ([]backend, error) {
	c := e.cfg
	var out []backend
	if bin := c.Drain.VictoriaMetrics; bin != "" {
		if v, err := startVM(ctx, bin, c.TmpDir, c.Log); err == nil {
			out = append(out, v)
		} else {
			log.Printf("drain into VictoriaMetrics skipped: %v", err)
		}
	}
	s, err := startSink("127.0.0.1:0", sinkOptions{Decode: true, Delay: c.Drain.SinkDelay})
	if err != nil {
		return out, err
	}
	return append(out, sinkBackend{s}), nil
}

// drainOnce starts kind relaying to b alone, takes b down, acknowledges
// Backlog samples at buildRate, then starts the live load (if any) and
// brings b back, and measures until b received the backlog and all live
// samples but the last Lag's worth, or DrainTimeout passes.
func drainOnce(ctx context.Context, e *env, kind proxyKind, b backend, bodies []body, buildRate, live float64) (*drainRun, error) {
	c := e.cfg
	p, err := startProxy(ctx, kind, c.proxyConfig, []string{b.url()}, 1)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	defer func() { _ = b.setDown(false) }()
	if err := b.setDown(true); err != nil {
		return nil, err
	}
	build := runLoad(ctx, bodies, loadOptions{URL: p.URL, Concurrency: 2 * c.Concurrency,
		Rate: buildRate, MaxSamples: c.Backlog, Duration: 10 * time.Minute})

	var liveRes loadResult
	liveCtx, stopLive := context.WithCancel(ctx)
	liveDone := make(chan struct{})
	defer func() { stopLive(); <-liveDone }()
	go func() {
		defer close(liveDone)
		if live > 0 {
			runLoadInto(liveCtx, bodies, loadOptions{URL: p.URL, Concurrency: c.Concurrency,
				Rate: live, Duration: c.DrainTimeout + time.Minute}, &liveRes)
		}
	}()
	cpu0, _ := cpuSeconds(p.pid)
	w := watchRSS(p.pid, 100*time.Millisecond)
	base, t0 := b.delivered(), time.Now()
	if err := b.setDown(false); err != nil {
		w.end()
		return nil, err
	}
	d := e.followDrain(ctx, b, base, t0, build.Samples, live, &liveRes)
	cpu1, _ := cpuSeconds(p.pid)
	d.rssKB = w.end()
	d.backlog = build.Samples
	if got := b.delivered() - base; got > 0 {
		d.cpuPerM = (cpu1 - cpu0) / (float64(got) / 1e6)
	}
	return d, nil
}

// followDrain polls b until it caught up (see drainOnce) or DrainTimeout
// passed, and returns the rates from the first to the last arrival seen.
func (e *env) followDrain(ctx context.Context, b backend, base int64, t0 time.Time, backlog int64, live float64, liveRes *loadResult) *drainRun {
	allow := int64(live * e.cfg.Drain.Lag.Seconds())
	var first time.Time
	var got0, live0 int64
	d := &drainRun{}
	for {
		now, got, acked := time.Now(), b.delivered()-base, atomic.LoadInt64(&liveRes.Samples)
		if got > 0 && first.IsZero() {
			first, got0, live0 = now, got, acked
			d.firstAfter = now.Sub(t0)
		}
		done := got >= backlog+acked-allow
		if !done && (now.Sub(t0) > e.cfg.DrainTimeout || ctx.Err() != nil) {
			d.incomplete = fmt.Sprintf("only %d of %d backlog+live samples within %s", got, backlog+acked, e.cfg.DrainTimeout)
		}
		if done || d.incomplete != "" {
			if span := now.Sub(first).Seconds(); !first.IsZero() && span > 0 {
				d.delivery = float64(got-got0) / span
				d.catchUp = d.delivery - float64(acked-live0)/span
			}
			return d
		}
		time.Sleep(b.pollEvery())
	}
}

// toRow turns a drain into a table row: the rate column is the catch-up
// rate (the delivery rate when there is no live traffic).
func (d *drainRun) toRow(scenario string, kind proxyKind, backend string, buildRate float64) row {
	note := fmt.Sprintf("%.1fM backlog built at %.0fk/s; delivered %.0fk/s; first arrival %.1fs after up",
		float64(d.backlog)/1e6, buildRate/1000, d.delivery/1000, d.firstAfter.Seconds())
	return row{scenario: scenario, kind: kind, rate: d.catchUp, cpuPerM: d.cpuPerM,
		rssMB: float64(d.rssKB) / 1024, backend: backend, note: joinText(note, d.incomplete)}
}
