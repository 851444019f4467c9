package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/prws/prws/config"
	"github.com/prws/prws/ingest"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/internal/fsutil"
	"github.com/prws/prws/internal/lockfile"
	"github.com/prws/prws/internal/redact"
	"github.com/prws/prws/queue"
	"github.com/prws/prws/replay"
	"github.com/prws/prws/store"
	"github.com/prws/prws/watchdog"
)

// ErrShuttingDown is returned by Reload once Shutdown has begun.
var ErrShuttingDown = errors.New("prws is shutting down")

// Daemon is a wired prws instance.
type Daemon struct {
	cfg          config.Config // flags; never changes
	tenantHeader string        // effective tenant header; a reload may not change it
	log          *slog.Logger  // scrubs secrets
	secrets      *redact.Scrubber
	reg          *prometheus.Registry

	lock  *lockfile.Lock
	store *store.Store
	topo  atomic.Pointer[topology] // current backend set; see topology

	mu      sync.Mutex              // serialises Reload and Shutdown; guards all and closed
	all     map[string]*backendSink // every open sink by backend id, configured or retired
	closed  bool                    // Shutdown began
	orphans []string                // backend ids with queues but not configured at start

	// cycle is shared by every queue: their group commits are fsynced
	// together (queue.CommitCycle).
	cycle *queue.CommitCycle
	// journal, with --queue-commit-journal, is shared by every queue:
	// one fsync for the groups of all of them (queue.Journal). Closed
	// after the queues.
	journal *queue.Journal
	// lanes bounds the queues sending lanes at once
	// (--remote_write_max_lane_queues); shared by every worker.
	lanes *replay.LaneBudget
	// host tells the workers whether this host has CPU to spare for
	// lanes; shared by every worker.
	host    *replay.HostCPU
	ingest  *ingest.Handler
	server  *http.Server
	version string
	started time.Time
	metrics metricsSet
	extras  extras
}

// New validates cfg, reads its --config.file and opens everything the
// daemon needs. On error, whatever was opened is closed again. Every
// line logged through log is scrubbed of the configured secrets.
func New(cfg config.Config, version string, log *slog.Logger) (d *Daemon, err error) {
	settings, err := cfg.Load()
	if err != nil {
		return nil, err
	}
	if err := web.Validate(cfg.WebConfigFile); err != nil {
		return nil, fmt.Errorf("%w: --web.config.file: %w", config.ErrInvalid, err)
	}
	sc := redact.NewScrubber()
	sc.Add(backendsSecrets(settings.Backends)...)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfo(version))
	d = &Daemon{cfg: cfg, tenantHeader: settings.TenantHeader, secrets: sc, reg: reg, version: version,
		log: slog.New(redact.NewHandler(log.Handler(), sc)), all: map[string]*backendSink{},
		cycle: queue.NewCommitCycle()}
	opened := d // d itself is nil by the time a failed return runs the defer
	defer func() {
		if err != nil {
			opened.closeAll()
		}
	}()
	if err = d.openState(); err != nil {
		return nil, err
	}
	if err = d.openTopology(settings); err != nil {
		return nil, err
	}
	if err = d.openExtras(); err != nil {
		return nil, err
	}
	d.ingest = d.newIngest()
	return d, nil
}

// openTopology builds the metrics, opens the sinks of bs and publishes
// the first topology.
func (d *Daemon) openTopology(s config.Settings) error {
	bs := s.Backends
	d.metrics = metricsSet{
		queue: queue.NewMetrics(d.reg), replay: replay.NewMetrics(d.reg), ingest: ingest.NewMetrics(d.reg),
		watchdog: watchdog.NewMetrics(d.reg), reload: newReloadMetrics(d.reg), rate: replay.NewRateMetrics(d.reg),
	}
	d.lanes = replay.NewLaneBudget(d.cfg.MaxLaneQueues, d.reg)
	d.host = replay.NewHostCPU(d.reg)
	if d.cfg.CommitJournal {
		j, err := queue.OpenJournal(datadir.JournalDir(d.cfg.DataDir), d.cfg.DataDir, queue.JournalOptions{
			SegmentBytes: d.cfg.SegmentBytes, Logger: d.log.With("component", "journal")})
		if err != nil {
			return err
		}
		d.journal = j
	}
	sinks, err := d.openBackends(bs)
	if err != nil {
		return err
	}
	t, err := d.newTopology(bs, sinks, nil, nil)
	if err != nil {
		return err
	}
	d.setPolicy(t, s)
	d.topo.Store(t)
	d.publishRingSize(t)
	d.metrics.reload.record(true, time.Now())
	return nil
}

func (d *Daemon) openState() error {
	if err := fsutil.MkdirDurable(d.cfg.DataDir, d.cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	lock, err := lockfile.Acquire(d.cfg.DataDir, lockfile.Info{
		PID: os.Getpid(), Listen: d.cfg.Listen, Started: time.Now().UTC(),
	})
	if err != nil {
		return err
	}
	d.lock = lock
	st, err := store.Open(datadir.StatePath(d.cfg.DataDir), store.Options{})
	if err != nil {
		return err
	}
	d.store = st
	return nil
}

// Start starts the workers and serves HTTP on ln (nil: listen on
// cfg.Listen), with TLS and basic auth when --web.config.file says so.
// It does not block.
func (d *Daemon) Start(ln net.Listener) error {
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", d.cfg.Listen); err != nil {
			return fmt.Errorf("--listen: %w", err)
		}
	}
	d.startExtras()
	for _, s := range d.current().sinks {
		s.start()
	}
	d.server = d.newServer()
	go d.serve(ln)
	d.ingest.SetReady(true)
	d.extras.ready.Store(true)
	d.log.Info("prws started", "listen", ln.Addr().String(), "backends", len(d.current().backends),
		"shards", d.cfg.Shards, "replica_factor", d.cfg.ReplicaFactor, "data_dir", d.cfg.DataDir,
		"config_file", d.cfg.ConfigFile, "web_config_file", d.cfg.WebConfigFile)
	return nil
}

// serve runs the HTTP server on ln until Shutdown.
func (d *Daemon) serve(ln net.Listener) {
	var err error
	if d.cfg.WebConfigFile == "" {
		err = d.server.Serve(ln)
	} else {
		systemd := false
		err = web.Serve(ln, d.server, &web.FlagConfig{
			WebListenAddresses: &[]string{}, WebSystemdSocket: &systemd, WebConfigFile: &d.cfg.WebConfigFile,
		}, d.log.With("component", "web"))
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		d.log.Error("http server stopped", "err", err)
	}
}

// Shutdown stops the daemon in order and reports what it left queued.
// It returns within about ctx's deadline. A reload in progress finishes
// first; later reloads fail with ErrShuttingDown.
func (d *Daemon) Shutdown(ctx context.Context) error {
	d.extras.ready.Store(false)
	d.ingest.SetReady(false)
	d.drainDelay(ctx)
	var errs []error
	if d.server != nil {
		if err := d.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	for _, s := range d.all {
		s.stop(ctx, d.log)
	}
	d.stopExtras()
	for _, s := range d.all {
		for _, q := range s.allQueues() {
			st := q.q.Stats()
			if st.PendingRecords > 0 {
				d.log.Info("queue left for next start", "backend", s.backend.Name, "shard", q.shard,
					"pending_samples", st.PendingSamples, "pending_bytes", st.PendingBytes)
			}
		}
	}
	errs = append(errs, d.closeAll())
	return errors.Join(errs...)
}

// closeAll closes queues, the state file and the lock; safe on a
// partly opened daemon.
func (d *Daemon) closeAll() error {
	var errs []error
	for id, s := range d.all {
		errs = append(errs, s.close())
		delete(d.all, id)
	}
	if d.journal != nil {
		errs = append(errs, d.journal.Close())
		d.journal = nil
	}
	if d.store != nil {
		errs = append(errs, d.store.Close())
		d.store = nil
	}
	if d.lock != nil {
		errs = append(errs, d.lock.Release())
		d.lock = nil
	}
	return errors.Join(errs...)
}

// Registry exposes the daemon's metrics registry (for tests).
func (d *Daemon) Registry() *prometheus.Registry { return d.reg }

// drainDelay keeps the listener open for cfg.ShutdownDelay (bounded by
// ctx) after readiness went off, so new requests get 503 with
// Retry-After — the sender keeps its data and retries elsewhere or later
// — and load balancers see /-/ready fail, instead of connections being
// refused.
func (d *Daemon) drainDelay(ctx context.Context) {
	if d.cfg.ShutdownDelay <= 0 || d.server == nil {
		return
	}
	t := time.NewTimer(d.cfg.ShutdownDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
