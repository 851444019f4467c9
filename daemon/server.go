package daemon

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"runtime"
	"runtime/debug"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/prws/prws/adminapi"
)

// newServer builds the HTTP server: remote-write on --remote_path and
// /api/v1/write, self-monitoring, health, the admin API and pprof. Its
// timeouts close slow-loris clients (--http.read-header-timeout for the
// headers, --http.read-timeout for the whole request, body included); the
// write timeout leaves room for a large body plus the fsync wait.
func (d *Daemon) newServer() *http.Server {
	mux := http.NewServeMux()
	mux.Handle(d.cfg.RemotePath, d.ingest)
	if d.cfg.RemotePath != "/api/v1/write" {
		mux.Handle("/api/v1/write", d.ingest)
	}
	mux.Handle("/metrics", promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{Registry: d.reg}))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("prws is healthy.\n"))
	})
	mux.HandleFunc("/-/ready", d.serveReady)
	mux.HandleFunc("/-/reload", d.gate(d.cfg.Lifecycle, "--web.enable-lifecycle", "reloading the configuration over HTTP", d.serveReload))
	mux.HandleFunc(adminapi.PathStatus, d.serveStatus)
	mux.HandleFunc(adminapi.PathQueues, d.serveQueues)
	mux.HandleFunc(adminapi.PathRing, d.serveRing)
	d.registerDeadLetterAPI(mux)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: d.cfg.HTTPReadHeaderTimeout,
		ReadTimeout:       d.cfg.HTTPReadTimeout,
		WriteTimeout:      3 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(d.log.With("component", "http").Handler(), slog.LevelWarn),
	}
}

// gate serves h only when enabled; otherwise it answers 403 naming
// what is refused and the flag that allows it. Like Prometheus' admin
// and lifecycle flags, this guards every endpoint that changes state;
// --web.config.file authentication applies before it.
func (d *Daemon) gate(enabled bool, flag, what string, h http.HandlerFunc) http.HandlerFunc {
	if enabled {
		return h
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, fmt.Sprintf("%s is disabled: start prws with %s to allow it", what, flag), http.StatusForbidden)
	}
}

// adminOnly gates a state-changing admin endpoint on --web.enable-admin-api.
func (d *Daemon) adminOnly(what string, h http.HandlerFunc) http.HandlerFunc {
	return d.gate(d.cfg.AdminAPI, "--web.enable-admin-api", what, h)
}

func (d *Daemon) serveReady(w http.ResponseWriter, _ *http.Request) {
	if !d.extras.ready.Load() {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "prws is not ready.", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("prws is ready.\n"))
}

func (d *Daemon) serveStatus(w http.ResponseWriter, _ *http.Request) {
	t := d.current()
	names := make([]string, len(t.sinks))
	for i, s := range t.sinks {
		cur, _ := s.current()
		names[i] = cur.Name
	}
	key := "series"
	if d.cfg.ShardKey != 0 {
		key = "metric"
	}
	adminapi.WriteJSON(w, adminapi.Status{
		Version: d.version, Started: d.started, Ready: d.extras.ready.Load(), Backends: names,
		Shards: d.cfg.Shards, ShardKey: key, ReplicaFactor: d.cfg.ReplicaFactor, DataDir: d.cfg.DataDir,
	})
}

func (d *Daemon) serveQueues(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	adminapi.WriteJSON(w, d.Queues())
}

// Queues reports every open queue, configured backends first in ring
// order (--promes, then the file), then backends a reload removed, each
// in shard order. Secrets are scrubbed from error texts. Safe for
// concurrent use.
func (d *Daemon) Queues() []adminapi.QueueStatus {
	t := d.current()
	var out []adminapi.QueueStatus
	for _, s := range t.sinks {
		out = append(out, s.status(true, d.secrets)...)
	}
	for _, s := range t.retired {
		out = append(out, s.status(false, d.secrets)...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].BackendID == out[j].BackendID && out[i].Shard < out[j].Shard
	})
	return out
}

func (d *Daemon) serveRing(w http.ResponseWriter, _ *http.Request) {
	type member struct {
		Backend string `json:"backend"`
		ID      string `json:"id"`
		Up      bool   `json:"up"`
	}
	t := d.current()
	ms := make([]member, len(t.sinks))
	for i, s := range t.sinks {
		cur, _ := s.current()
		ms[i] = member{Backend: cur.Name, ID: cur.ID, Up: t.health().Up(i)}
	}
	w.Header().Set("Content-Type", "application/json")
	adminapi.WriteJSON(w, ms)
}

// buildInfo is prws_build_info, 1 with the version of the binary and the
// Go toolchain as labels, as every Prometheus component exports it.
func buildInfo(version string) prometheus.Collector {
	revision := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "prws_build_info",
		Help: "A metric with a constant '1' value labeled by version, revision, goversion, goos and goarch from which prws was built.",
		ConstLabels: prometheus.Labels{
			"version": version, "revision": revision, "goversion": runtime.Version(),
			"goos": runtime.GOOS, "goarch": runtime.GOARCH,
		},
	}, func() float64 { return 1 })
}
