package ingest

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the ingest metrics. Build them once with NewMetrics and
// share them; all methods are safe for concurrent use.
type Metrics struct {
	seriesKeep      prometheus.Counter
	seriesDrop      prometheus.Counter
	seriesRerouted  prometheus.Counter
	requests        *prometheus.CounterVec
	byCode          map[int]prometheus.Counter // read-only after NewMetrics
	samples         prometheus.Counter
	duration        prometheus.Histogram
	bytesCompressed prometheus.Counter
	bytesDecoded    prometheus.Counter
	inflight        prometheus.Gauge
	relabel         relabelMetrics // relabelplace.go
}

// NewMetrics builds the ingest metrics and registers them on reg; a nil
// reg registers nothing (tests). It panics if the names are already
// registered on reg, like prometheus.MustRegister.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		seriesKeep: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "prws_series_keep_total", Help: "Series admitted by the series limiter and routed.",
		}),
		seriesDrop: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "prws_series_drop_total", Help: "Series dropped by the series limiter.",
		}),
		seriesRerouted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "prws_series_rerouted_total",
			Help: "Series routed away from a backend the watchdog holds down (placed elsewhere than with every backend up).",
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prws_ingest_requests_total", Help: "Remote-write requests received, by HTTP status code.",
		}, []string{"code"}),
		samples: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "prws_ingest_samples_total", Help: "Samples and histograms acknowledged to senders.",
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "prws_ingest_request_duration_seconds",
			Help:    "Time to answer a remote-write request, including the wait for fsync.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "prws_ingest_inflight_bytes", Help: "Decoded bytes of the requests being processed.",
		}),
	}
	m.bytesVec(reg)
	m.relabel = newRelabelMetrics(reg)
	m.byCode = make(map[int]prometheus.Counter)
	for _, c := range []int{http.StatusNoContent, http.StatusBadRequest, http.StatusMethodNotAllowed,
		http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
		http.StatusInternalServerError, http.StatusServiceUnavailable} {
		m.byCode[c] = m.requests.WithLabelValues(strconv.Itoa(c))
	}
	if reg != nil {
		reg.MustRegister(m.seriesKeep, m.seriesDrop, m.seriesRerouted, m.requests, m.samples, m.duration, m.inflight)
	}
	return m
}

// bytesVec builds prws_ingest_bytes_total{stage} and registers it on reg.
func (m *Metrics) bytesVec(reg prometheus.Registerer) {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "prws_ingest_bytes_total", Help: "Request body bytes received, by stage (compressed, decoded).",
	}, []string{"stage"})
	m.bytesCompressed = v.WithLabelValues("compressed")
	m.bytesDecoded = v.WithLabelValues("decoded")
	if reg != nil {
		reg.MustRegister(v)
	}
}

// request counts one answered request.
func (m *Metrics) request(code int) {
	if c, ok := m.byCode[code]; ok {
		c.Inc()
		return
	}
	m.requests.WithLabelValues(strconv.Itoa(code)).Inc()
}
