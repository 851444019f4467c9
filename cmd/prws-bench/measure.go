package main

import (
	"context"
	"fmt"
	"time"
)

// row is one line of the result table.
type row struct {
	scenario string
	kind     proxyKind
	rate     float64 // samples/s (ingest, or drain for the drain row)
	cpuPerM  float64 // CPU-seconds of the relay per million samples ingested
	rssMB    float64 // peak RSS (VmHWM, or the largest VmRSS of a phase)
	p50, p99 time.Duration
	backend  string // what received the relay's writes
	note     string
}

// env is what every scenario shares: two null backends and the bodies.
type env struct {
	cfg   benchConfig
	sinks [2]*sink
}

// backendName describes the env's sinks for the result table.
func (e *env) backendName() string { return e.sinks[0].opt.describe() }

// delivered is the number of samples both sinks received so far.
func (e *env) delivered() int64 {
	return e.sinks[0].samples.Load() + e.sinks[1].samples.Load()
}

// setDown makes both sinks answer 503 (true) or accept (false).
func (e *env) setDown(down bool) {
	e.sinks[0].down.Store(down)
	e.sinks[1].down.Store(down)
}

// urls returns the sink URLs a relay gets: prws always two backends (rf
// picks 1 or 2 of them per series); vmagent replicates to every URL, so it
// gets one for rf 1 and both for rf 2.
func (e *env) urls(kind proxyKind, rf int) []string {
	if isVMAgent(kind) && rf == 1 {
		return []string{e.sinks[0].URL}
	}
	return []string{e.sinks[0].URL, e.sinks[1].URL}
}

// waitDelivered waits until the sinks have seen want samples since base,
// or limit passes; it returns how many arrived.
func (e *env) waitDelivered(base, want int64, limit time.Duration) int64 {
	deadline := time.Now().Add(limit)
	for {
		got := e.delivered() - base
		if got >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// measured is one relay run: the load result, the relay's CPU over the
// load and the delivery that followed it, and its peak RSS.
type measured struct {
	load      *loadResult
	cpu       float64 // seconds
	hwmKB     int64
	delivered int64   // samples the sinks received for this run
	commits   float64 // prws group commits during the load; -1: not known
	idleKB    int64   // VmRSS once ready, before any load
	caughtKB  int64   // VmRSS once everything acknowledged was delivered
}

// run starts kind, warms it up for a second with the same load, then
// measures one load run including the delivery of what it acknowledged.
func (e *env) run(ctx context.Context, kind proxyKind, rf int, bodies []body, lo loadOptions) (*measured, error) {
	return e.runWith(ctx, kind, e.cfg.proxyConfig, e.urls(kind, rf), rf, bodies, lo)
}

// runWith is run with the relay's configuration and backend URLs given.
func (e *env) runWith(ctx context.Context, kind proxyKind, cfg proxyConfig, urls []string, rf int, bodies []body, lo loadOptions) (*measured, error) {
	fanout := int64(len(urls))
	if !isVMAgent(kind) {
		fanout = int64(rf)
	}
	p, err := startProxy(ctx, kind, cfg, urls, rf)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	_, idleKB, _ := memKB(p.pid)
	lo.URL = p.URL
	warm := lo
	warm.Duration, warm.MaxSamples = time.Second, 0
	base := e.delivered()
	w := runLoad(ctx, bodies, warm)
	e.waitDelivered(base, w.Samples*fanout, e.cfg.DrainTimeout)

	cpu0, err := cpuSeconds(p.pid)
	if err != nil {
		return nil, err
	}
	base = e.delivered()
	commits0 := scrapeSum(metricsURL(p.URL), commitsMetric)
	m := &measured{load: runLoad(ctx, bodies, lo), commits: -1, idleKB: idleKB}
	if commits1 := scrapeSum(metricsURL(p.URL), commitsMetric); commits0 >= 0 && commits1 >= 0 {
		m.commits = commits1 - commits0
	}
	m.delivered = e.waitDelivered(base, m.load.Samples*fanout, e.cfg.DrainTimeout)
	cpu1, err := cpuSeconds(p.pid)
	if err != nil {
		return nil, err
	}
	m.cpu = cpu1 - cpu0
	m.hwmKB, m.caughtKB, err = memKB(p.pid)
	if m.delivered < m.load.Samples*fanout {
		return m, fmt.Errorf("%s delivered %d of %d samples within %s", kind, m.delivered, m.load.Samples*fanout, e.cfg.DrainTimeout)
	}
	return m, err
}

// toRow turns a measurement into a table row.
func (m *measured) toRow(scenario string, kind proxyKind) row {
	r := row{scenario: scenario, kind: kind, rate: m.load.rate(),
		rssMB: float64(m.hwmKB) / 1024, p50: m.load.quantile(0.50), p99: m.load.quantile(0.99)}
	if m.load.Samples > 0 {
		r.cpuPerM = m.cpu / (float64(m.load.Samples) / 1e6)
	}
	if m.load.Non2xx+m.load.Errors > 0 {
		r.note = fmt.Sprintf("%d non-2xx, %d errors", m.load.Non2xx, m.load.Errors)
	}
	if m.commits >= 0 && m.load.Elapsed > 0 {
		r.note = joinText(r.note, fmt.Sprintf("%.0f group commits/s", m.commits/m.load.Elapsed.Seconds()))
	}
	return r
}
