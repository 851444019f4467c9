package limiter

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the limiter's Prometheus metrics. Build them once with
// NewMetrics and pass them in Options; the zero Options use unregistered
// ones.
type Metrics struct {
	hourlyRows    prometheus.Counter
	dailyRows     prometheus.Counter
	seriesDropped *prometheus.CounterVec
	series        *prometheus.GaugeVec
	limit         *prometheus.GaugeVec
	flushFailures prometheus.Counter
}

// NewMetrics builds the limiter metrics and registers them on reg; reg
// may be nil. It panics, like prometheus.MustRegister, if they are
// already registered on reg. The two *_rows_drop_total names are the
// original prom-remote-write-shard ones.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		hourlyRows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "prws_hourly_series_limit_rows_drop_total",
			Help: "Samples dropped because their series exceeded --max_hourly_series.",
		}),
		dailyRows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "prws_daily_series_limit_rows_drop_total",
			Help: "Samples dropped because their series exceeded --max_daily_series.",
		}),
		seriesDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prws_limiter_series_drop_total",
			Help: "Series refused by a window limit, counted once per series per request.",
		}, []string{"window"}),
		series: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "prws_limiter_series",
			Help: "Distinct series admitted in the current window (refreshed every flush interval).",
		}, []string{"window"}),
		limit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "prws_limiter_limit",
			Help: "Series limit of the window; 0 means no limit.",
		}, []string{"window"}),
		flushFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "prws_limiter_flush_failures_total",
			Help: "Failed limiter flushes to the store; their series are retried.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.hourlyRows, m.dailyRows, m.seriesDropped, m.series, m.limit, m.flushFailures)
	}
	return m
}

// windowMetrics are the children of one window, resolved once so the hot
// path does no label lookup.
type windowMetrics struct {
	rowsDropped   prometheus.Counter
	seriesDropped prometheus.Counter
	series        prometheus.Gauge
}

// bind resolves the metrics of window w and sets its limit gauge.
func (m *Metrics) bind(w window, limit int64) windowMetrics {
	rows := m.hourlyRows
	if w == day {
		rows = m.dailyRows
	}
	m.limit.WithLabelValues(w.String()).Set(float64(limit))
	return windowMetrics{
		rowsDropped:   rows,
		seriesDropped: m.seriesDropped.WithLabelValues(w.String()),
		series:        m.series.WithLabelValues(w.String()),
	}
}
