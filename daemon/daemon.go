package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/prws/prws/config"
	"github.com/prws/prws/ingest"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/internal/lockfile"
	"github.com/prws/prws/router"
	"github.com/prws/prws/store"
)

// Daemon is a wired prws instance.
type Daemon struct {
	cfg      config.Config
	backends []config.Backend
	log      *slog.Logger
	reg      *prometheus.Registry

	lock    *lockfile.Lock
	store   *store.Store
	ring    *router.Ring
	sinks   []*backendSink // one per configured backend, in --promes order
	orphans []string       // backend ids with queues but not configured
	ingest  *ingest.Handler
	server  *http.Server
	version string
	started time.Time
	metrics metricsSet
	extras  extras
}

// New validates cfg and opens everything the daemon needs. On error,
// whatever was opened is closed again.
func New(cfg config.Config, version string, log *slog.Logger) (d *Daemon, err error) {
	backends, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(backends))
	for i, b := range backends {
		ids[i] = b.ID
	}
	ring, err := router.New(ids, cfg.ReplicaFactor, cfg.Shards)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d = &Daemon{cfg: cfg, backends: backends, log: log, reg: reg, ring: ring, version: version}
	defer func() {
		if err != nil {
			d.closeAll()
			d = nil
		}
	}()
	if err = d.openState(); err != nil {
		return nil, err
	}
	if err = d.openBackends(); err != nil {
		return nil, err
	}
	if err = d.openExtras(); err != nil {
		return nil, err
	}
	d.ingest = d.newIngest()
	return d, nil
}

func (d *Daemon) openState() error {
	if err := os.MkdirAll(d.cfg.DataDir, 0o750); err != nil {
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
// cfg.Listen). It does not block.
func (d *Daemon) Start(ln net.Listener) error {
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", d.cfg.Listen); err != nil {
			return fmt.Errorf("--listen: %w", err)
		}
	}
	d.startExtras()
	for _, s := range d.sinks {
		s.start()
	}
	d.server = d.newServer()
	go func() {
		if err := d.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("http server stopped", "err", err)
		}
	}()
	d.ingest.SetReady(true)
	d.extras.ready.Store(true)
	d.log.Info("prws started", "listen", ln.Addr().String(), "backends", len(d.backends),
		"shards", d.cfg.Shards, "replica_factor", d.cfg.ReplicaFactor, "data_dir", d.cfg.DataDir)
	return nil
}

// Shutdown stops the daemon in order and reports what it left queued.
// It returns within about ctx's deadline.
func (d *Daemon) Shutdown(ctx context.Context) error {
	d.extras.ready.Store(false)
	d.ingest.SetReady(false)
	var errs []error
	if d.server != nil {
		if err := d.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	for _, s := range d.sinks {
		s.stop(ctx, d.log)
	}
	d.stopExtras()
	for _, s := range d.sinks {
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
	for _, s := range d.sinks {
		errs = append(errs, s.close())
	}
	d.sinks = nil
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
