package replay

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the replay metrics of every worker. Build once with
// NewMetrics and share; safe for concurrent use.
type Metrics struct {
	samplesSent *prometheus.CounterVec   // backend, shard
	sentBytes   *prometheus.CounterVec   // backend, shard
	retries     *prometheus.CounterVec   // backend, shard
	requests    *prometheus.CounterVec   // backend, code
	dlSamples   *prometheus.CounterVec   // backend
	dlBatches   *prometheus.CounterVec   // backend
	stDropped   *prometheus.CounterVec   // backend
	splits      *prometheus.CounterVec   // backend
	probes      *prometheus.CounterVec   // backend
	refusing    *prometheus.GaugeVec     // backend
	up          *prometheus.GaugeVec     // backend
	duration    *prometheus.HistogramVec // backend
	inFlight    *prometheus.GaugeVec     // backend
	wide        *prometheus.CounterVec   // backend
	laneDenied  *prometheus.CounterVec   // backend
	laneLocal   *prometheus.CounterVec   // backend
}

// NewMetrics builds the replay metrics and registers them on reg; a nil
// reg leaves them unregistered. It panics if they are already registered
// on reg, a wiring bug.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		samplesSent: counter("prws_remote_samples_sent_total", "Samples (and histograms) acknowledged by a backend.", "backend", "shard"),
		sentBytes:   counter("prws_remote_sent_bytes_total", "Compressed request bytes sent to a backend, retries included.", "backend", "shard"),
		retries:     counter("prws_remote_retries_total", "Send attempts that failed and will be retried.", "backend", "shard"),
		requests:    counter("prws_remote_requests_total", "Remote-write requests by answer: HTTP status, network or timeout.", "backend", "code"),
		dlSamples:   counter("prws_remote_dead_letter_samples_total", "Samples (and histograms) a backend refused for good, once its batch was split down to them.", "backend"),
		dlBatches:   counter("prws_remote_dead_letter_batches_total", "Dead letters written: parts of batches a backend refused alone.", "backend"),
		splits:      counter("prws_remote_batch_splits_total", "Refused batches or parts of batches divided in two to find what the backend refuses.", "backend"),
		probes:      counter("prws_remote_probe_requests_total", "Empty write requests sent to tell a backend refusing data from one refusing every write.", "backend"),
		refusing: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "prws_backend_refusing_all",
			Help: "1 while the backend refuses every write whatever it holds (wrong URL or method, credentials, even an empty request refused).",
		}, []string{"backend"}),
		stDropped: counter("prws_remote_start_timestamps_dropped_total",
			"Start timestamps of samples and histograms left out of what a remote-write 1.0 backend is sent (1.0 has no field for them); once per batch or part of a split batch.", "backend"),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "prws_backend_up", Help: "1 when the backend accepts requests, 0 after repeated failures.",
		}, []string{"backend"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "prws_remote_request_duration_seconds", Help: "Duration of remote-write requests.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"backend"}),
		wide: counter("prws_remote_lane_batches_total", "Batches of several batches' worth of samples, divided into lanes of disjoint series sent in parallel.", "backend"),
		laneDenied: counter("prws_remote_lane_reads_denied_total",
			"Reads kept to one batch although the queue was behind enough for lanes, because --remote_write_max_lane_queues queues already held lanes.", "backend"),
		laneLocal: counter("prws_remote_lane_reads_host_busy_total",
			"Reads kept to one batch although the queue was behind enough for lanes, because the backend runs on this host and the host had no idle CPU (prws_host_cpu_idle_cores below 0.25).", "backend"),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "prws_remote_requests_in_flight",
			Help: "Remote-write requests sent to the backend and not answered yet, all shards and lanes together.",
		}, []string{"backend"}),
	}
	if reg != nil {
		reg.MustRegister(m.samplesSent, m.sentBytes, m.retries, m.requests,
			m.dlSamples, m.dlBatches, m.stDropped, m.splits, m.probes, m.refusing, m.up, m.duration, m.inFlight, m.wide, m.laneDenied, m.laneLocal)
	}
	return m
}

// shardMetrics are the series of one worker, resolved once.
type shardMetrics struct {
	m           *Metrics
	backend     string
	samplesSent prometheus.Counter
	sentBytes   prometheus.Counter
	retries     prometheus.Counter
	dlSamples   prometheus.Counter
	dlBatches   prometheus.Counter
	stDropped   prometheus.Counter
	splits      prometheus.Counter
	probes      prometheus.Counter
	refusing    prometheus.Gauge
	up          prometheus.Gauge
	duration    prometheus.Observer
	inFlight    prometheus.Gauge
	wide        prometheus.Counter
	laneDenied  prometheus.Counter
	laneLocal   prometheus.Counter
}

func (m *Metrics) forShard(backend string, shard int) shardMetrics {
	s := strconv.Itoa(shard)
	return shardMetrics{
		m: m, backend: backend,
		samplesSent: m.samplesSent.WithLabelValues(backend, s),
		sentBytes:   m.sentBytes.WithLabelValues(backend, s),
		retries:     m.retries.WithLabelValues(backend, s),
		dlSamples:   m.dlSamples.WithLabelValues(backend),
		dlBatches:   m.dlBatches.WithLabelValues(backend),
		stDropped:   m.stDropped.WithLabelValues(backend),
		splits:      m.splits.WithLabelValues(backend),
		probes:      m.probes.WithLabelValues(backend),
		refusing:    m.refusing.WithLabelValues(backend),
		up:          m.up.WithLabelValues(backend),
		duration:    m.duration.WithLabelValues(backend),
		inFlight:    m.inFlight.WithLabelValues(backend),
		wide:        m.wide.WithLabelValues(backend),
		laneDenied:  m.laneDenied.WithLabelValues(backend),
		laneLocal:   m.laneLocal.WithLabelValues(backend),
	}
}

func (s shardMetrics) request(code string) { s.m.requests.WithLabelValues(s.backend, code).Inc() }

func (s shardMetrics) setUp(up bool) {
	if up {
		s.up.Set(1)
	} else {
		s.up.Set(0)
	}
}
