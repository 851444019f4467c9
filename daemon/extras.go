package daemon

import (
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/prws/prws/config"
	"github.com/prws/prws/ingest"
	"github.com/prws/prws/limiter"
	"github.com/prws/prws/router"
	"github.com/prws/prws/watchdog"
)

// extras are the optional components: the series limiter and the
// watchdog. Each is nil when not enabled.
type extras struct {
	limiter  *limiter.Limiter
	watchdog *watchdog.Watchdog
	ready    atomic.Bool // ingest accepts writes; /-/ready answers 200
}

func (d *Daemon) openExtras() error {
	d.started = time.Now().UTC()
	if d.cfg.MaxHourlySeries > 0 || d.cfg.MaxDailySeries > 0 {
		l, err := limiter.New(limiter.Options{
			MaxHourlySeries: int64(d.cfg.MaxHourlySeries), MaxDailySeries: int64(d.cfg.MaxDailySeries),
			Logger: d.log.With("component", "limiter"), Metrics: limiter.NewMetrics(d.reg),
		}, d.store)
		if err != nil {
			return err
		}
		d.extras.limiter = l
	}
	if d.cfg.Watchdog {
		targets := make([]watchdog.Target, len(d.backends))
		for i, b := range d.backends {
			targets[i] = watchdog.Target{Name: b.Name, URL: b.URL}
		}
		d.extras.watchdog = watchdog.New(targets, watchdog.Options{
			Interval: d.cfg.WatchdogInterval, Logger: d.log.With("component", "watchdog"),
			Metrics: watchdog.NewMetrics(d.reg),
		})
	}
	return nil
}

func (d *Daemon) startExtras() {
	if d.extras.limiter != nil {
		d.extras.limiter.Start()
	}
	if d.extras.watchdog != nil {
		d.extras.watchdog.Start()
	}
}

func (d *Daemon) stopExtras() {
	if d.extras.watchdog != nil {
		d.extras.watchdog.Stop()
	}
	if d.extras.limiter != nil {
		if err := d.extras.limiter.Close(); err != nil {
			d.log.Warn("limiter final flush failed", "err", err)
		}
	}
}

// health is the ring's view of backend health: the watchdog's when it
// runs, otherwise every backend is up (an unhealthy one just accumulates
// backlog).
func (d *Daemon) health() router.Health {
	if d.extras.watchdog != nil {
		return d.extras.watchdog
	}
	return allUp{}
}

type allUp struct{}

func (allUp) Up(int) bool { return true }

// newIngest builds the ingest handler and its routing.
func (d *Daemon) newIngest() *ingest.Handler {
	ext := labels.NewScratchBuilder(len(d.cfg.ExternalLabels))
	for _, l := range d.cfg.ExternalLabels {
		ext.Add(l.Name, l.Value)
	}
	opts := ingest.Options{
		MaxBodyBytes: d.cfg.MaxBodyBytes, MaxDecodedBytes: d.cfg.MaxDecodedBytes,
		MaxInflightBytes: d.cfg.MaxInflightBytes, BatchSamples: d.cfg.Batch,
		ExternalLabels: ext.Labels(), ForceSelfTimestamp: d.cfg.ForceSelfTS,
		TenantHeader: d.cfg.TenantHeader, Logger: d.log.With("component", "ingest"),
	}
	if d.extras.limiter != nil {
		opts.Limiter = d.extras.limiter
	}
	h := ingest.NewHandler(opts, d.metrics.ingest)
	targets := make([][]ingest.Target, len(d.sinks))
	for i, s := range d.sinks {
		targets[i] = s.targets(d.cfg.Shards)
	}
	var health router.Health
	if d.extras.watchdog != nil {
		health = d.extras.watchdog
	}
	h.SetRouting(&ingest.Routing{Ring: d.ring, Key: d.cfg.ShardKey, Targets: targets, Health: health})
	h.SetReady(false)
	return h
}

// sendResultHook feeds replay's send outcomes for backend id to the
// watchdog, when it runs.
func (d *Daemon) sendResultHook(id string) func(bool) {
	if !d.cfg.Watchdog {
		return nil
	}
	idx := slices.IndexFunc(d.backends, func(b config.Backend) bool { return b.ID == id })
	return func(ok bool) {
		if w := d.extras.watchdog; w != nil {
			w.ReportSendResult(idx, ok)
		}
	}
}
