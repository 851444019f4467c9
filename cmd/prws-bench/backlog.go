package main

import (
	"context"
	"fmt"
	"time"
)

// backlog runs the outage scenario for kind: ingest at half of its
// saturation rate with the backends up (the no-backlog RSS), then with
// them down until Backlog samples were acknowledged (the backlog RSS),
// then stops the load, brings the backends up and measures how fast the
// backlog drains.
func backlog(ctx context.Context, e *env, kind proxyKind, bodies []body, res *results) error {
	c := e.cfg
	p, err := startProxy(ctx, kind, c.proxyConfig, e.urls(kind, 1), 1)
	if err != nil {
		return err
	}
	defer p.stop()
	defer e.setDown(false)
	lo := loadOptions{URL: p.URL, Concurrency: 2 * c.Concurrency, Rate: res.sat[kind] / 2, Duration: c.Duration}

	base := e.delivered()
	up := runLoad(ctx, bodies, lo)
	e.waitDelivered(base, up.Samples, c.DrainTimeout)
	_, rssUp, _ := memKB(p.pid)

	e.setDown(true)
	w := watchRSS(p.pid, 100*time.Millisecond)
	lo.MaxSamples, lo.Duration = c.Backlog, 10*time.Minute
	cpu0, _ := cpuSeconds(p.pid)
	build := runLoad(ctx, bodies, lo)
	cpu1, _ := cpuSeconds(p.pid)
	rssBuild := w.end()
	res.add(row{scenario: "backlog build", kind: kind, rate: build.rate(),
		cpuPerM: (cpu1 - cpu0) / (float64(build.Samples) / 1e6), rssMB: float64(rssBuild) / 1024,
		p50: build.quantile(0.5), p99: build.quantile(0.99),
		note: fmt.Sprintf("%.1fM samples backlog; no-backlog RSS %.0f MB; RSS Δ %+.0f MB",
			float64(build.Samples)/1e6, float64(rssUp)/1024, float64(rssBuild-rssUp)/1024)})

	w = watchRSS(p.pid, 100*time.Millisecond)
	base = e.delivered()
	t0 := time.Now()
	e.setDown(false)
	got := e.waitDelivered(base, build.Samples, c.DrainTimeout)
	el := time.Since(t0)
	rssDrain := w.end()
	drain := float64(got) / el.Seconds()
	res.rssDelta[kind] = float64(max(rssBuild, rssDrain)-rssUp) / 1024
	note := fmt.Sprintf("drain/ingest %.1f×; RSS Δ %+.0f MB", drain/build.rate(), float64(rssDrain-rssUp)/1024)
	if got < build.Samples {
		note += fmt.Sprintf("; only %d of %d delivered within %s", got, build.Samples, c.DrainTimeout)
	}
	res.add(row{scenario: "backlog drain", kind: kind, rate: drain, rssMB: float64(rssDrain) / 1024, note: note})
	return nil
}
