package main

import (
	"context"
	"fmt"
	"log"
	"time"
)

// benchConfig sizes the whole run.
type benchConfig struct {
	proxyConfig
	Kinds        []proxyKind
	Scenarios    map[string]bool // rf1, rf2, half, big, backlog
	Series       int             // active series of the throughput scenarios
	BigSeries    int             // active series of the RSS scenario
	Samples      int             // samples per series per request
	Batch        int             // series per request
	Concurrency  int             // senders at saturation
	Duration     time.Duration
	Backlog      int64 // samples acknowledged while the backends are down
	DrainTimeout time.Duration
}

// results collects rows and the per-relay saturation rates.
type results struct {
	rows []row
	sat  map[proxyKind]float64 // rf1 saturation samples/s
	// rssDelta is the largest VmRSS with a backlog minus the VmRSS
	// without one, in MB.
	rssDelta map[proxyKind]float64
}

func (r *results) add(x row) {
	r.rows = append(r.rows, x)
	log.Printf("%-16s %-8s %10.0f samples/s  %6.3f CPU-s/M  %7.1f MB  p50 %v p99 %v %s",
		x.scenario, x.kind, x.rate, x.cpuPerM, x.rssMB, x.p50.Round(time.Microsecond), x.p99.Round(time.Microsecond), x.note)
}

// runAll runs every scenario for every relay, side by side.
func runAll(ctx context.Context, e *env) (*results, error) {
	c := e.cfg
	small, err := generate(genOptions{Series: c.Series, Samples: c.Samples, Batch: c.Batch})
	if err != nil {
		return nil, err
	}
	res := &results{sat: map[proxyKind]float64{}, rssDelta: map[proxyKind]float64{}}
	sat := loadOptions{Concurrency: c.Concurrency, Duration: c.Duration}
	for _, rf := range []int{1, 2} {
		if rf == 2 && !c.Scenarios["rf2"] {
			continue
		}
		for _, k := range c.Kinds {
			m, err := e.run(ctx, k, rf, small, sat)
			if m == nil {
				return res, err
			}
			r := m.toRow(fmt.Sprintf("rf%d saturation", rf), k)
			r.note = joinNote(r.note, err)
			res.add(r)
			if rf == 1 {
				res.sat[k] = r.rate
			}
		}
	}
	for _, k := range c.Kinds {
		if !c.Scenarios["half"] {
			break
		}
		lo := loadOptions{Concurrency: 2 * c.Concurrency, Duration: c.Duration, Rate: res.sat[k] / 2}
		m, err := e.run(ctx, k, 1, small, lo)
		if m == nil {
			return res, err
		}
		r := m.toRow("rf1 half-sat", k)
		r.note = joinNote(r.note, err)
		res.add(r)
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
	return res, nil
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

func joinNote(note string, err error) string {
	if err == nil {
		return note
	}
	if note == "" {
		return err.Error()
	}
	return note + "; " + err.Error()
}
