package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/prws/prws/config"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/internal/fsutil"
	"github.com/prws/prws/replay"
)

// workerStopGrace bounds how long a reload waits for the workers of a
// backend whose connection changed to let go of their queue. A worker
// cancels its request at once, so this is rarely reached; when it is, the
// new worker starts as soon as the old one is gone.
const workerStopGrace = 10 * time.Second

// reloadMetrics report the outcome of the last configuration load.
type reloadMetrics struct {
	ok   prometheus.Gauge
	when prometheus.Gauge
}

func newReloadMetrics(reg prometheus.Registerer) *reloadMetrics {
	m := &reloadMetrics{
		ok: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "prws_config_last_reload_successful",
			Help: "1 when the last configuration reload succeeded, 0 when it was rejected.",
		}),
		when: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "prws_config_last_reload_success_timestamp_seconds",
			Help: "Time of the last successful configuration load (start-up or reload).",
		}),
	}
	reg.MustRegister(m.ok, m.when)
	return m
}

func (m *reloadMetrics) record(ok bool, now time.Time) {
	if !ok {
		m.ok.Set(0)
		return
	}
	m.ok.Set(1)
	m.when.Set(float64(now.UnixNano()) / 1e9)
}

// reloadPlan is a validated new topology and what applying it takes.
// Building one touches nothing running: the live sinks keep their
// settings until apply.
type reloadPlan struct {
	next    *topology
	added   []*backendSink              // opened for the reload, workers not started, not registered
	created []string                    // directories the added sinks created, removed if the reload fails
	changed map[*backendSink]connection // kept sinks whose connection settings change, with the new ones
}

// connection is a backend's settings and the client built from them.
type connection struct {
	backend config.Backend
	client  *http.Client
}

// Reload re-reads --config.file and applies it without losing queued
// data. Unchanged backends keep their queues and workers; a backend whose
// connection settings changed gets new workers on the same queues (the
// batch in flight stays queued and is sent again); added backends get
// queues and workers and join the ring; removed backends leave the ring
// and their workers keep draining their queues, with their last
// settings, until Shutdown (what is left then stays on disk for the next
// start). The ring and ingest routing are swapped atomically.
//
// A reload is all or nothing: everything (the file, every client, every
// added backend's queues, the ring) is built and checked before anything
// running changes. A file that does not validate, a changed tenant
// header, fewer backends than --replica_factor, or a backend that cannot
// be opened reject the reload: the running configuration stays exactly
// as it was (directories the attempt created are removed again) and the
// returned error (also logged) says why. Safe for concurrent use;
// reloads are serialised.
func (d *Daemon) Reload() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	err := d.reload()
	d.metrics.reload.record(err == nil, time.Now())
	if err != nil {
		if msg := d.secrets.Text(err.Error()); msg != err.Error() {
			err = errors.New(msg)
		}
		d.log.Error("configuration reload failed; the running configuration stays", "err", err)
		return err
	}
	t := d.current()
	d.log.Info("configuration reloaded", "backends", len(t.backends), "draining_removed_backends", len(t.retired))
	return nil
}

// reload does the work of Reload; d.mu held.
func (d *Daemon) reload() error {
	if d.closed {
		return ErrShuttingDown
	}
	s, err := d.cfg.Load()
	if err != nil {
		return err
	}
	if s.TenantHeader != d.tenantHeader {
		return fmt.Errorf("%w: the tenant header changed from %q to %q; that takes a restart",
			config.ErrInvalid, d.tenantHeader, s.TenantHeader)
	}
	d.secrets.Add(backendsSecrets(s.Backends)...)
	plan, err := d.plan(s.Backends)
	if err != nil {
		return err
	}
	for _, w := range s.Warnings() {
		d.log.Warn(w)
	}
	d.setPolicy(plan.next, s)
	d.apply(plan)
	return nil
}

// plan opens the sinks of added backends, builds the clients of changed
// ones and the new topology. Nothing running is touched: on error the
// added sinks are closed, forgotten and the directories they created
// removed.
func (d *Daemon) plan(bs []config.Backend) (p reloadPlan, err error) {
	defer func() {
		if err != nil {
			d.discard(p)
		}
	}()
	p.changed = map[*backendSink]connection{}
	sinks := make([]*backendSink, len(bs))
	for i, b := range bs {
		if s, ok := d.all[b.ID]; ok {
			sinks[i] = s
			if cur, _ := s.current(); !cur.SameConnection(b) {
				c, err := b.NewClient()
				if err != nil {
					return p, err
				}
				p.changed[s] = connection{backend: b, client: c}
			}
			continue
		}
		p.created = append(p.created, d.missingDirs(b.ID)...)
		s, err := d.openBackend(b)
		if s != nil {
			p.added = append(p.added, s)
		}
		if err != nil {
			return p, fmt.Errorf("backend %s: %w", b.Name, err)
		}
		sinks[i] = s
	}
	p.next, err = d.newTopology(bs, sinks, d.retiredSinks(bs), p.changed)
	return p, err
}

// missingDirs are the directories of backend id that do not exist yet.
func (d *Daemon) missingDirs(id string) []string {
	var out []string
	for _, dir := range []string{datadir.BackendDir(d.cfg.DataDir, id), datadir.DeadLetterDir(d.cfg.DataDir, id)} {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			out = append(out, dir)
		}
	}
	return out
}

// discard undoes a plan that failed: closes the added sinks and removes
// the directories they created (nothing was ever queued in them).
func (d *Daemon) discard(p reloadPlan) {
	for _, s := range p.added {
		_ = s.close()
	}
	for _, s := range p.changed {
		if s.client != nil {
			s.client.CloseIdleConnections()
		}
	}
	for _, dir := range p.created {
		err := os.RemoveAll(dir)
		if err == nil { // else a power cut could bring back an empty queue dir
			err = fsutil.SyncDir(filepath.Dir(dir))
		}
		if err != nil {
			d.log.Warn("failed reload: directory it created not removed", "dir", dir, "err", err)
		}
	}
}

// setConnections puts the new settings of the changed backends on their
// sinks and records them in the backend registry. d.mu held; part of
// apply, after every check passed.
func (d *Daemon) setConnections(changed map[*backendSink]connection) {
	for s, c := range changed {
		s.mu.Lock()
		old := s.client
		s.cur, s.client = c.backend, c.client
		s.mu.Unlock()
		if old != nil {
			old.CloseIdleConnections()
		}
		if err := d.register(c.backend); err != nil {
			d.log.Warn("backend registry not updated", "backend", c.backend.Name, "err", err)
		}
	}
}

// retiredSinks are the open sinks not among bs.
func (d *Daemon) retiredSinks(bs []config.Backend) []*backendSink {
	keep := make(map[string]bool, len(bs))
	for _, b := range bs {
		keep[b.ID] = true
	}
	var out []*backendSink
	for id, s := range d.all {
		if !keep[id] {
			out = append(out, s)
		}
	}
	return out
}

// apply starts what plan opened, swaps the topology and the ingest
// routing, restarts the workers of changed backends and stops the old
// watchdog. d.mu held.
func (d *Daemon) apply(p reloadPlan) {
	old := d.current()
	d.setConnections(p.changed)
	for _, s := range p.added {
		d.all[s.backend.ID] = s
		if err := d.register(s.backend); err != nil {
			d.log.Warn("backend registry not updated", "backend", s.backend.Name, "err", err)
		}
		s.start()
		d.log.Info("backend added to the ring", "backend", s.backend.Name)
	}
	if p.next.watchdog != nil {
		p.next.watchdog.Start()
	}
	d.topo.Store(p.next)
	d.publishRingSize(p.next)
	d.ingest.SetRouting(p.next.routing(d.cfg.ShardKey, d.cfg.Shards))
	for s := range p.changed {
		d.restartWorkers(s)
	}
	if old.watchdog != nil {
		old.watchdog.Stop()
	}
	for _, s := range p.next.retired {
		if _, member := old.index[s.backend.ID]; member {
			d.log.Info("backend removed from the ring; its queues keep draining", "backend", s.backend.Name)
		}
	}
}

// restartWorkers replaces every worker of s with one built from its
// current settings, on the same queue. The old workers are stopped
// first, in parallel; their unacknowledged batches stay queued and the
// new workers send them again.
func (d *Daemon) restartWorkers(s *backendSink) {
	ctx, cancel := context.WithTimeout(context.Background(), workerStopGrace)
	defer cancel()
	nexts := make([]*replay.Worker, len(s.queues))
	for i, q := range s.queues {
		w, err := d.newWorker(s, q)
		if err != nil {
			d.log.Error("backend connection settings changed, but its workers could not be rebuilt; the old ones keep sending",
				"backend", s.backend.Name, "err", err)
			return
		}
		nexts[i] = w
	}
	var wg sync.WaitGroup
	for i, q := range s.queues {
		old, next := q.w.Load(), nexts[i]
		q.w.Store(next)
		wg.Go(func() {
			if err := old.Stop(ctx); err != nil {
				d.log.Warn("replay worker slow to stop on reload; its successor starts when it is gone",
					"backend", s.backend.Name, "shard", q.shard, "err", err)
				go func() { _ = old.Stop(context.Background()); next.Start() }()
				return
			}
			next.Start()
		})
	}
	wg.Wait()
	cur, _ := s.current()
	d.log.Info("backend connection settings changed; workers restarted", "backend", cur.Name)
}

// serveReload is POST /-/reload: 200 when the configuration was
// reloaded, 400 with the reason when it was rejected.
func (d *Daemon) serveReload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST to reload the configuration", http.StatusMethodNotAllowed)
		return
	}
	if err := d.Reload(); err != nil {
		http.Error(w, "configuration reload failed: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.Write([]byte("configuration reloaded\n"))
}

// publishRingSize sets prws_ring_members to the members of t when no
// watchdog keeps it (with --watchdog, the watchdog sets it as backends
// leave and rejoin).
func (d *Daemon) publishRingSize(t *topology) {
	if t.watchdog == nil {
		d.metrics.watchdog.SetMembers(len(t.backends))
	}
}
