package queue

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are shared by all queues of a process; every vector is labelled
// by queue (Options.Name). Build it once with NewMetrics. Safe for
// concurrent use.
type Metrics struct {
	appendedRecords *prometheus.CounterVec
	appendedSamples *prometheus.CounterVec
	appendedBytes   *prometheus.CounterVec
	fsyncSeconds    *prometheus.HistogramVec
	groupSubmits    *prometheus.HistogramVec
	corrupt         *prometheus.CounterVec
	tailRepairs     *prometheus.CounterVec
	retired         *prometheus.CounterVec
	droppedSamples  *prometheus.CounterVec
	droppedRecords  *prometheus.CounterVec
	journalFallback *prometheus.CounterVec
}

// NewMetrics builds the queue metrics and registers them on reg. A nil reg
// builds unregistered metrics. Collectors already registered on reg (a
// second NewMetrics on the same registry) are reused.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	counter := func(name, help string) *prometheus.CounterVec {
		return register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "prws", Subsystem: "queue", Name: name, Help: help}, []string{"queue"}))
	}
	hist := func(name, help string, buckets []float64) *prometheus.HistogramVec {
		return register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "prws", Subsystem: "queue", Name: name, Help: help, Buckets: buckets}, []string{"queue"}))
	}
	return &Metrics{
		appendedRecords: counter("appended_records_total", "Records made durable in the queue."),
		appendedSamples: counter("appended_samples_total", "Samples made durable in the queue."),
		appendedBytes:   counter("appended_bytes_total", "Record bytes (envelopes included) made durable in the queue."),
		fsyncSeconds: hist("commit_duration_seconds", "Duration of one group commit (write + fsync).",
			prometheus.ExponentialBuckets(0.0001, 2, 16)),
		groupSubmits: hist("commit_group_submits", "Submit calls sharing one group commit (one fsync).",
			prometheus.ExponentialBuckets(1, 2, 12)),
		corrupt:     counter("corrupt_records_total", "Records skipped on read: bad CRC, envelope or index, or tombstones."),
		tailRepairs: counter("tail_repairs_total", "Torn, zero-filled or garbage segment tails cut at open."),
		retired:     counter("retired_logs_total", "Wal instances closed and reopened after a write or fsync error."),
		droppedSamples: counter("dropped_samples_total",
			"Acknowledged samples dropped unsent to keep the queue within --max-queue-bytes (--queue-full-policy drop-oldest)."),
		droppedRecords: counter("dropped_records_total",
			"Records dropped unsent to keep the queue within --max-queue-bytes (--queue-full-policy drop-oldest)."),
		journalFallback: counter("journal_fallbacks_total",
			"Group commits fsynced in the queue's own log because the shared commit journal could not take them."),
	}
}

// register registers c on reg, returning the already registered collector
// of the same description if there is one.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // an inconsistent metric definition is a programming error
	}
	return c
}

// queueMetrics are the children of Metrics for one queue.
type queueMetrics struct {
	records, samples, bytes        prometheus.Counter
	fsync, group                   prometheus.Observer
	corrupt, tailRepairs, retired  prometheus.Counter
	droppedSamples, droppedRecords prometheus.Counter
	journalFallbacks               prometheus.Counter
	parent                         *Metrics
	name                           string
}

// forQueue returns the children labelled name.
func (m *Metrics) forQueue(name string) queueMetrics {
	return queueMetrics{
		records:          m.appendedRecords.WithLabelValues(name),
		samples:          m.appendedSamples.WithLabelValues(name),
		bytes:            m.appendedBytes.WithLabelValues(name),
		fsync:            m.fsyncSeconds.WithLabelValues(name),
		group:            m.groupSubmits.WithLabelValues(name),
		corrupt:          m.corrupt.WithLabelValues(name),
		tailRepairs:      m.tailRepairs.WithLabelValues(name),
		retired:          m.retired.WithLabelValues(name),
		droppedSamples:   m.droppedSamples.WithLabelValues(name),
		droppedRecords:   m.droppedRecords.WithLabelValues(name),
		journalFallbacks: m.journalFallback.WithLabelValues(name),
		parent:           m,
		name:             name,
	}
}

// forget removes the queue's series (on Close).
func (qm queueMetrics) forget() {
	m := qm.parent
	for _, v := range []*prometheus.CounterVec{m.appendedRecords, m.appendedSamples, m.appendedBytes, m.corrupt, m.tailRepairs, m.retired, m.droppedSamples, m.droppedRecords, m.journalFallback} {
		v.DeleteLabelValues(qm.name)
	}
	m.fsyncSeconds.DeleteLabelValues(qm.name)
	m.groupSubmits.DeleteLabelValues(qm.name)
}
