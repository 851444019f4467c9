package daemon

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/prws/prws/ingest"
	"github.com/prws/prws/limiter"
)

// extras are the optional components: the series limiter (nil when not
// enabled). The watchdog belongs to the topology.
type extras struct {
	limiter *limiter.Limiter
	tenants *ingest.TenantLimiter // per-tenant ingest rate limits (policy.go)
	ready   atomic.Bool           // ingest accepts writes; /-/ready answers 200
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
	return nil
}

func (d *Daemon) startExtras() {
	if d.extras.limiter != nil {
		d.extras.limiter.Start()
	}
	if w := d.current().watchdog; w != nil {
		w.Start()
	}
}

func (d *Daemon) stopExtras() {
	if w := d.current().watchdog; w != nil {
		w.Stop()
	}
	if d.extras.limiter != nil {
		if err := d.extras.limiter.Close(); err != nil {
			d.log.Warn("limiter final flush failed", "err", err)
		}
	}
}

// newIngest builds the ingest handler and its routing.
func (d *Daemon) newIngest() *ingest.Handler {
	ext := labels.NewScratchBuilder(len(d.cfg.ExternalLabels))
	for _, l := range d.cfg.ExternalLabels {
		ext.Add(l.Name, l.Value)
	}
	opts := ingest.Options{
		MaxBodyBytes: d.cfg.MaxBodyBytes, MaxDecodedBytes: d.cfg.MaxDecodedBytes,
		MaxInflightBytes: d.cfg.MaxInflightBytes, BatchSamples: d.cfg.Batch,
		MaxLabelNameLen: d.cfg.MaxLabelNameLen, MaxLabelValueLen: d.cfg.MaxLabelValueLen,
		MaxLabelsPerSeries: d.cfg.MaxLabelsPerSeries,
		ExternalLabels:     ext.Labels(), ForceSelfTimestamp: d.cfg.ForceSelfTS,
		TenantHeader: d.tenantHeader, Logger: d.log.With("component", "ingest"),
	}
	if d.extras.limiter != nil {
		opts.Limiter = d.extras.limiter
	}
	if d.tenantHeader != "" {
		opts.TenantLimiter = d.extras.tenants
	}
	h := ingest.NewHandler(opts, d.metrics.ingest)
	h.SetRouting(d.current().routing(d.cfg.ShardKey, d.cfg.Shards))
	h.SetReady(false)
	return h
}
