package daemon

import (
	"github.com/prws/prws/config"
	"github.com/prws/prws/ingest"
	"github.com/prws/prws/router"
	"github.com/prws/prws/watchdog"
)

// topology is one generation of the backend set: the ring, the sinks it
// routes to and the watchdog over them. It is immutable once published
// (Daemon.topo); a reload builds a new one and swaps it in, so readers
// (HTTP handlers, send hooks) need no lock.
type topology struct {
	backends []config.Backend   // ring members, ring order
	sinks    []*backendSink     // sinks[i] serves backends[i]
	index    map[string]int     // backend id -> ring index
	ring     *router.Ring       // over backends
	watchdog *watchdog.Watchdog // nil without --watchdog
	retired  []*backendSink     // removed by a reload; still draining, take no new data
	relabel  *ingest.Relabeling // nil: no rules (policy.go)
}

// newTopology builds the ring over sinks and, with --watchdog, a
// watchdog (not started) probing them with their own clients, or with
// the ones of pending when a reload is about to change them.
func (d *Daemon) newTopology(bs []config.Backend, sinks, retired []*backendSink, pending map[*backendSink]connection) (*topology, error) {
	t := &topology{backends: bs, sinks: sinks, retired: retired, index: make(map[string]int, len(bs))}
	ids := make([]string, len(bs))
	for i, b := range bs {
		ids[i] = b.ID
		t.index[b.ID] = i
	}
	ring, err := router.New(ids, d.cfg.ReplicaFactor, d.cfg.Shards)
	if err != nil {
		return nil, err
	}
	t.ring = ring
	if d.cfg.Watchdog {
		targets := make([]watchdog.Target, len(sinks))
		for i, s := range sinks {
			b, client := s.current()
			if c, ok := pending[s]; ok {
				b, client = c.backend, c.client
			}
			targets[i] = watchdog.Target{Name: b.Name, URL: b.URL, Client: client}
		}
		t.watchdog = watchdog.New(targets, watchdog.Options{
			Interval: d.cfg.WatchdogInterval, Logger: d.log.With("component", "watchdog"),
			Metrics: d.metrics.watchdog,
		})
	}
	return t, nil
}

// routing is the ingest routing of t.
func (t *topology) routing(key router.Key, shards int) *ingest.Routing {
	targets := make([][]ingest.Target, len(t.sinks))
	for i, s := range t.sinks {
		targets[i] = s.targets(shards)
	}
	rt := &ingest.Routing{Ring: t.ring, Key: key, Targets: targets, Relabel: t.relabel}
	if t.watchdog != nil {
		rt.Health = t.watchdog
	}
	return rt
}

// health is the ring's view of backend health: the watchdog's when it
// runs, otherwise every backend is up (an unhealthy one just accumulates
// backlog).
func (t *topology) health() router.Health {
	if t.watchdog != nil {
		return t.watchdog
	}
	return allUp{}
}

type allUp struct{}

func (allUp) Up(int) bool { return true }

// current returns the published topology. Safe for concurrent use.
func (d *Daemon) current() *topology { return d.topo.Load() }

// sendResultHook feeds replay's send outcomes for backend id to the
// watchdog of the current topology, when the backend is a member.
func (d *Daemon) sendResultHook(id string) func(bool) {
	if !d.cfg.Watchdog {
		return nil
	}
	return func(ok bool) {
		t := d.current()
		if t == nil || t.watchdog == nil {
			return
		}
		if i, member := t.index[id]; member {
			t.watchdog.ReportSendResult(i, ok)
		}
	}
}
