package daemon

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/prws/prws/adminapi"
)

// BacklogCollector exports the queue view the admin API serves (pending
// samples and bytes, oldest pending record, dead letters on disk) as
// gauges, computed at scrape time from a snapshot function. It is what
// dashboards and alerts read the backlog from.
type BacklogCollector struct {
	snapshot func() []adminapi.QueueStatus
	maxBytes int64

	pendingSamples, pendingBytes, oldest, deadLetters, budget *prometheus.Desc
}

// NewBacklogCollector returns a collector calling snapshot on every
// scrape (snapshot must be safe for concurrent use). maxQueueBytes is the
// per-queue disk budget, 0 for none; it is exported so alerts can
// compare against it.
func NewBacklogCollector(snapshot func() []adminapi.QueueStatus, maxQueueBytes int64) *BacklogCollector {
	qlabels := []string{"backend", "shard"}
	return &BacklogCollector{
		snapshot: snapshot, maxBytes: maxQueueBytes,
		pendingSamples: prometheus.NewDesc("prws_queue_pending_samples",
			"Samples durable in the queue and not yet acknowledged by the backend.", qlabels, nil),
		pendingBytes: prometheus.NewDesc("prws_queue_pending_bytes",
			"Segment bytes on disk holding unacknowledged records (whole segments, approximate).", qlabels, nil),
		oldest: prometheus.NewDesc("prws_queue_oldest_pending_timestamp_seconds",
			"Append time of the oldest unacknowledged record; absent when the queue is empty.", qlabels, nil),
		deadLetters: prometheus.NewDesc("prws_deadletter_files",
			"Dead-letter batches on disk for the backend (refused for good, waiting for replay or purge).", []string{"backend"}, nil),
		budget: prometheus.NewDesc("prws_queue_max_bytes",
			"On-disk budget of each queue (--max-queue-bytes); 0 means unlimited.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *BacklogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.pendingSamples, c.pendingBytes, c.oldest, c.deadLetters, c.budget} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *BacklogCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.budget, prometheus.GaugeValue, float64(c.maxBytes))
	dead := map[string]int{}
	for _, q := range c.snapshot() {
		shard := strconv.Itoa(q.Shard)
		ch <- prometheus.MustNewConstMetric(c.pendingSamples, prometheus.GaugeValue, float64(q.PendingSamples), q.Backend, shard)
		ch <- prometheus.MustNewConstMetric(c.pendingBytes, prometheus.GaugeValue, float64(q.PendingBytes), q.Backend, shard)
		if !q.OldestPending.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue,
				float64(q.OldestPending.UnixMilli())/1e3, q.Backend, shard)
		}
		dead[q.Backend] = q.DeadLetters
	}
	for b, n := range dead {
		ch <- prometheus.MustNewConstMetric(c.deadLetters, prometheus.GaugeValue, float64(n), b)
	}
}
