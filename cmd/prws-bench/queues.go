package main

import (
	"context"
	"fmt"
	"sort"
)

// queueShape is one relay layout of the queues scenario: prws keeps one
// queue per backend and shard.
type queueShape struct {
	backends, shards int
}

func (q queueShape) queues() int { return q.backends * q.shards }

func (q queueShape) String() string {
	return fmt.Sprintf("queues %d backend%s × %d shard%s", q.backends, plural(q.backends), q.shards, plural(q.shards))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// queueShapes are compared with each other: 1 against 8 shards of one
// backend, and 1 against 16 backends of 2 shards.
var queueShapes = []queueShape{{1, 1}, {1, 2}, {1, 8}, {16, 2}}

// queuesScenario runs rf1 saturation through each prws build in every
// queueShape, shapes and builds taking turns for Rounds rounds, and adds
// one row per shape and build with the medians and the RSS per queue.
// The backends are paths of the env's first sink.
func queuesScenario(ctx context.Context, e *env, bodies []body, res *results) error {
	c := e.cfg
	sat := loadOptions{Concurrency: c.Concurrency, Duration: c.Duration}
	type key struct {
		q queueShape
		k proxyKind
	}
	runs := map[key][]row{}
	idle, caught := map[key][]float64{}, map[key][]float64{}
	var kinds []proxyKind
	for _, k := range c.Kinds {
		if !isVMAgent(k) {
			kinds = append(kinds, k)
		}
	}
	for range max(c.Rounds, 1) {
		for _, q := range queueShapes {
			for _, k := range kinds {
				cfg := c.proxyConfig
				cfg.Shards = q.shards
				m, err := e.runWith(ctx, k, cfg, e.pathURLs(q.backends), 1, bodies, sat)
				if m == nil {
					return err
				}
				r := m.toRow(q.String(), k)
				r.note = joinNote(r.note, err)
				logRow(fmt.Sprintf("run %d: ", len(runs[key{q, k}])+1), r)
				runs[key{q, k}] = append(runs[key{q, k}], r)
				idle[key{q, k}] = append(idle[key{q, k}], float64(m.idleKB)/1024)
				caught[key{q, k}] = append(caught[key{q, k}], float64(m.caughtKB)/1024)
			}
		}
	}
	for _, q := range queueShapes {
		for _, k := range kinds {
			r := medianRow(runs[key{q, k}])
			one := median(caught[key{queueShapes[0], k}])
			per := ""
			if q.queues() > 1 {
				per = fmt.Sprintf("; %+.1f MB per queue beyond 1", (median(caught[key{q, k}])-one)/float64(q.queues()-1))
			}
			r.note = joinText(fmt.Sprintf("%d queue%s; RSS idle %.0f MB, caught up %.0f MB%s",
				q.queues(), plural(q.queues()), median(idle[key{q, k}]), median(caught[key{q, k}]), per), r.note)
			res.add(r)
		}
	}
	return nil
}

// pathURLs returns n distinct backend URLs, all served by the first sink.
func (e *env) pathURLs(n int) []string {
	if n == 1 {
		return []string{e.sinks[0].URL}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = e.sinks[0].pathURL(i)
	}
	return out
}

// median returns the median of v (the upper one of an even count); 0 for
// none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = append([]float64(nil), v...)
	sort.Float64s(v)
	return v[len(v)/2]
}
