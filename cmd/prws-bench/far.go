package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// farScenario sends live traffic at FarRate through each relay to a sink
// that answers after Drain.SinkDelay (a backend across a WAN), relays
// taking turns for Rounds rounds, and adds one row per relay with the
// medians: the delivery rate and how fast the backlog between the relay's
// acknowledgements and the sink's arrivals grew. The sink scans the wire
// instead of decoding: a decoding sink on the same small machine cannot
// take this rate whatever the relay does.
func farScenario(ctx context.Context, e *env, bodies []body, res *results) error {
	c := e.cfg
	s, err := startSink("127.0.0.1:0", sinkOptions{Delay: c.Drain.SinkDelay})
	if err != nil {
		return err
	}
	defer s.close()
	b := sinkBackend{s}
	name := fmt.Sprintf("live %.0fk/s, far backend", c.FarRate/1000)
	runs := map[proxyKind][]row{}
	for range max(c.Rounds, 1) {
		for _, k := range c.Kinds {
			r, err := farOnce(ctx, e, k, b, bodies)
			if err != nil {
				return err
			}
			r.scenario = name
			logRow(fmt.Sprintf("run %d: ", len(runs[k])+1), r)
			runs[k] = append(runs[k], r)
		}
	}
	for _, k := range c.Kinds {
		res.add(medianRow(runs[k]))
	}
	return nil
}

// farOnce runs the far scenario through kind once. The backlog is taken
// a third into the load and at its end; the row's rate is what the sink
// received between the two.
func farOnce(ctx context.Context, e *env, kind proxyKind, b backend, bodies []body) (row, error) {
	c := e.cfg
	p, err := startProxy(ctx, kind, c.proxyConfig, []string{b.url()}, 1)
	if err != nil {
		return row{}, err
	}
	defer p.stop()
	var lr loadResult
	done := make(chan struct{})
	base := b.delivered()
	go func() {
		defer close(done)
		runLoadInto(ctx, bodies, loadOptions{URL: p.URL, Concurrency: 2 * c.Concurrency,
			Rate: c.FarRate, Duration: c.FarDuration}, &lr)
	}()
	lag := func() (int64, int64, time.Time) {
		got := b.delivered() - base
		return atomic.LoadInt64(&lr.Samples) - got, got, time.Now()
	}
	select {
	case <-time.After(c.FarDuration / 3):
	case <-ctx.Done():
		return row{}, ctx.Err()
	}
	cpu0, _ := cpuSeconds(p.pid)
	lag1, got1, t1 := lag()
	<-done
	lag2, got2, t2 := lag()
	cpu1, _ := cpuSeconds(p.pid)
	span := t2.Sub(t1).Seconds()
	r := row{kind: kind, backend: b.name(), rate: float64(got2-got1) / span, p50: lr.quantile(0.5), p99: lr.quantile(0.99)}
	if got2 > got1 {
		r.cpuPerM = (cpu1 - cpu0) / (float64(got2-got1) / 1e6)
	}
	r.note = fmt.Sprintf("acknowledged %.0fk/s; backlog %d then %d samples (%+.0fk/s)",
		lr.rate()/1000, lag1, lag2, float64(lag2-lag1)/span/1000)
	return r, nil
}
