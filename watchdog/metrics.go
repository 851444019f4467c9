package watchdog

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the watchdog's Prometheus metrics. Build them once with
// NewMetrics and pass them in Options.
type Metrics struct {
	up          *prometheus.GaugeVec
	members     prometheus.Gauge
	allDown     prometheus.Gauge
	transitions *prometheus.CounterVec
	probes      *prometheus.CounterVec
}

// NewMetrics builds the watchdog metrics and registers them on reg; reg
// may be nil. It panics, like prometheus.MustRegister, on a duplicate.
// The per-backend up gauge is prws_watchdog_backend_up: replay owns
// prws_backend_up (send health).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "prws_watchdog_backend_up",
			Help: "1 when the watchdog considers the backend healthy (before the all-down rule).",
		}, []string{"backend"}),
		members: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "prws_ring_members",
			Help: "Backends the ring routes new series to (all of them when all are down).",
		}),
		allDown: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "prws_watchdog_all_down",
			Help: "1 when every backend is down and routing ignores health.",
		}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prws_watchdog_transitions_total",
			Help: "Backend health transitions, by new state.",
		}, []string{"backend", "to"}),
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prws_watchdog_probes_total",
			Help: "Probes sent, by result (ok, fail).",
		}, []string{"backend", "result"}),
	}
	if reg != nil {
		reg.MustRegister(m.up, m.members, m.allDown, m.transitions, m.probes)
	}
	return m
}

// backendMetrics are the resolved children of one backend.
type backendMetrics struct {
	up   prometheus.Gauge
	down prometheus.Counter // transitions to down
	upTo prometheus.Counter // transitions to up
}

// bind resolves the children of backend name.
func (m *Metrics) bind(name string) backendMetrics {
	return backendMetrics{
		up:   m.up.WithLabelValues(name),
		down: m.transitions.WithLabelValues(name, "down"),
		upTo: m.transitions.WithLabelValues(name, "up"),
	}
}

// transitions returns the transition counter for state to.
func (b backendMetrics) transitions(to string) prometheus.Counter {
	if to == "up" {
		return b.upTo
	}
	return b.down
}

// probe counts one probe result.
func (m *Metrics) probe(name string, ok bool) {
	result := "fail"
	if ok {
		result = "ok"
	}
	m.probes.WithLabelValues(name, result).Inc()
}

// SetMembers sets prws_ring_members when no watchdog runs (the watchdog
// sets it itself): then every configured backend is a member.
func (m *Metrics) SetMembers(n int) { m.members.Set(float64(n)) }
