package main

import (
	"context"
	"fmt"
	"log"
	"sort"
	"strings"
	"time"
)

// benchConfig sizes the whole run.
type benchConfig struct {
	proxyConfig
	Kinds        []proxyKind
	Scenarios    map[string]bool // rf1, rf2, half, big, backlog, drain, queues, far
	Series       int             // active series of the throughput scenarios
	BigSeries    int             // active series of the RSS scenario
	Samples      int             // samples per series per request
	Batch        int             // series per request
	Concurrency  int             // senders at saturation
	Duration     time.Duration
	Rounds       int   // runs of each throughput scenario per relay, interleaved; the median is reported
	Backlog      int64 // samples acknowledged while the backends are down
	DrainTimeout time.Duration
	Drain        drainConfig
	FarRate      float64 // live samples/s of the far scenario
	FarDuration  time.Duration
	Sink         sinkOptions // the env's two sinks
}

// results collects rows and the per-relay saturation rates.
type results struct {
	rows []row
	sat  map[proxyKind]float64 // rf1 saturation samples/s
	// rssDelta is the largest VmRSS with a backlog minus the VmRSS
	// without one, in MB.
	rssDelta map[proxyKind]float64
	// backend names the env's sinks, for rows that leave theirs empty.
	backend string
	// legend says which binary and release each relay is.
	legend []string
}

// add appends x, naming the env's sinks as its backend unless it names
// its own.
func (r *results) add(x row) {
	if x.backend == "" {
		x.backend = r.backend
	}
	r.rows = append(r.rows, x)
	logRow("", x)
}

// logRow logs x, prefixed with what.
func logRow(what string, x row) {
	log.Printf("%s%-16s %-8s %10.0f samples/s  %6.3f CPU-s/M  %7.1f MB  p50 %v p99 %v %s", what,
		x.scenario, x.kind, x.rate, x.cpuPerM, x.rssMB, x.p50.Round(time.Microsecond), x.p99.Round(time.Microsecond), x.note)
}

// runAll runs every scenario for every relay, side by side.
func runAll(ctx context.Context, e *env) (*results, error) {
	c := e.cfg
	small, err := generate(genOptions{Series: c.Series, Samples: c.Samples, Batch: c.Batch})
	if err != nil {
		return nil, err
	}
	res := &results{sat: map[proxyKind]float64{}, rssDelta: map[proxyKind]float64{}, backend: e.backendName()}
	sat := loadOptions{Concurrency: c.Concurrency, Duration: c.Duration}
	for _, rf := range []int{1, 2} {
		if rf == 2 && !c.Scenarios["rf2"] {
			continue
		}
		rows, err := e.rounds(ctx, fmt.Sprintf("rf%d saturation", rf), rf, small, func(proxyKind) loadOptions { return sat })
		for _, r := range rows {
			res.add(r)
			if rf == 1 {
				res.sat[r.kind] = r.rate
			}
		}
		if err != nil {
			return res, err
		}
	}
	if c.Scenarios["half"] {
		rows, err := e.rounds(ctx, "rf1 half-sat", 1, small, func(k proxyKind) loadOptions {
			return loadOptions{Concurrency: 2 * c.Concurrency, Duration: c.Duration, Rate: res.sat[k] / 2}
		})
		for _, r := range rows {
			res.add(r)
		}
		if err != nil {
			return res, err
		}
	}
	if c.Scenarios["big"] {
		if err := bigSeries(ctx, e, res); err != nil {
			return res, err
		}
	}
	for _, k := range c.Kinds {
		if !c.Scenarios["backlog"] {
			break
		}
		if err := backlog(ctx, e, k, small, res); err != nil {
			return res, err
		}
	}
	if c.Scenarios["queues"] {
		if err := queuesScenario(ctx, e, small, res); err != nil {
			return res, err
		}
	}
	if c.Scenarios["drain"] {
		if err := drainScenario(ctx, e, small, res); err != nil {
			return res, err
		}
	}
	if c.Scenarios["far"] {
		if err := farScenario(ctx, e, small, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// rounds runs scenario Rounds times for every relay, the relays taking
// turns, so that a slow spell of the machine falls on all of them alike,
// and returns one row per relay holding the median of each column. The
// load of relay k is lo(k). A run that fails to measure ends the rounds
// with the rows so far.
func (e *env) rounds(ctx context.Context, scenario string, rf int, bodies []body, lo func(proxyKind) loadOptions) ([]row, error) {
	runs := map[proxyKind][]row{}
	var err error
rounds:
	for range max(e.cfg.Rounds, 1) {
		for _, k := range e.cfg.Kinds {
			m, rerr := e.run(ctx, k, rf, bodies, lo(k))
			if m == nil {
				err = rerr
				break rounds
			}
			r := m.toRow(scenario, k)
			r.note = joinNote(r.note, rerr)
			runs[k] = append(runs[k], r)
			if e.cfg.Rounds > 1 {
				logRow(fmt.Sprintf("run %d: ", len(runs[k])), r)
			}
		}
	}
	var out []row
	for _, k := range e.cfg.Kinds {
		if len(runs[k]) > 0 {
			out = append(out, medianRow(runs[k]))
		}
	}
	return out, err
}

// medianRow returns a row whose every figure is the median of rows' (the
// upper one of an even count); its note lists each run's CPU figure and
// every note of the runs.
func medianRow(rows []row) row {
	med := func(f func(row) float64) float64 {
		v := make([]float64, len(rows))
		for i, r := range rows {
			v[i] = f(r)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	out := rows[0]
	out.rate = med(func(r row) float64 { return r.rate })
	out.cpuPerM = med(func(r row) float64 { return r.cpuPerM })
	out.rssMB = med(func(r row) float64 { return r.rssMB })
	out.p50 = time.Duration(med(func(r row) float64 { return float64(r.p50) }))
	out.p99 = time.Duration(med(func(r row) float64 { return float64(r.p99) }))
	out.note = ""
	if len(rows) > 1 {
		cpu := make([]string, len(rows))
		for i, r := range rows {
			cpu[i] = fmt.Sprintf("%.3f", r.cpuPerM)
		}
		rate := make([]string, len(rows))
		for i, r := range rows {
			rate[i] = fmt.Sprintf("%.0f", r.rate)
		}
		out.note = fmt.Sprintf("median of %d runs; samples/s %s; CPU-s/M %s", len(rows),
			strings.Join(rate, ", "), strings.Join(cpu, ", "))
	}
	for _, r := range rows {
		if r.note != "" {
			out.note = joinText(out.note, r.note)
		}
	}
	return out
}

// bigSeries sends BigSeries distinct series twice at half of each relay's
// saturation rate and reports the relay's peak RSS.
func bigSeries(ctx context.Context, e *env, res *results) error {
	c := e.cfg
	big, err := generate(genOptions{Series: c.BigSeries, Samples: c.Samples, Batch: c.Batch})
	if err != nil {
		return err
	}
	for _, k := range c.Kinds {
		lo := loadOptions{Concurrency: 2 * c.Concurrency, Rate: res.sat[k] / 2,
			MaxSamples: 2 * int64(c.BigSeries*c.Samples), Duration: 4 * c.Duration}
		m, err := e.run(ctx, k, 1, big, lo)
		if m == nil {
			return err
		}
		r := m.toRow(fmt.Sprintf("%dk series", c.BigSeries/1000), k)
		r.note = joinNote(r.note, err)
		res.add(r)
	}
	return nil
}

// joinNote appends err's text to note (nothing for a nil err).
func joinNote(note string, err error) string {
	if err == nil {
		return note
	}
	return joinText(note, err.Error())
}

// joinText joins two notes with "; ", leaving out an empty one.
func joinText(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
