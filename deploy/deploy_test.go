package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/prompb"
	"go.yaml.in/yaml/v2"

	"github.com/prws/prws/config"
	"github.com/prws/prws/daemon"
)

const (
	dashboardFile = "grafana/prws.json"
	rulesFile     = "prometheus/prws-rules.yml"
	rulesTestFile = "prometheus/prws-rules.test.yml"
)

// metricRE finds metric names in a PromQL expression once its string
// literals are removed: every metric prws exports starts with one of
// these prefixes.
var (
	metricRE = regexp.MustCompile(`\b(?:prws|process|go|promhttp)_[a-zA-Z0-9_:]*`)
	stringRE = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
)

// metricNames returns the metric names used in expr.
func metricNames(expr string) []string {
	return metricRE.FindAllString(stringRE.ReplaceAllString(expr, `""`), -1)
}

func TestDashboardIsValidGrafanaJSON(t *testing.T) {
	var d struct {
		Title      string `json:"title"`
		UID        string `json:"uid"`
		Templating struct {
			List []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID         int             `json:"id"`
			Type       string          `json:"type"`
			Title      string          `json:"title"`
			Datasource json.RawMessage `json:"datasource"`
			GridPos    struct{ X, Y, W, H int }
			Targets    []struct {
				Expr       string          `json:"expr"`
				Datasource json.RawMessage `json:"datasource"`
			} `json:"targets"`
		} `json:"panels"`
	}
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
	}
	if vars["datasource"] != "datasource" || vars["backend"] != "query" {
		t.Errorf("variables %v: want a datasource variable named datasource and a backend query variable", vars)
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q overflows the grid: %+v", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if !strings.Contains(string(p.Datasource), "${datasource}") {
			t.Errorf("panel %q: datasource %s, want ${datasource}", p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if len(metricNames(tg.Expr)) == 0 {
				t.Errorf("panel %q: no prws metric in %q", p.Title, tg.Expr)
			}
		}
	}
}

func TestMetricsInDashboardAndRulesAreExported(t *testing.T) {
	exported := exportedMetrics(t)
	exprs := dashboardExprs(t)
	exprs = append(exprs, ruleExprs(t)...)
	for _, e := range exprs {
		for _, name := range metricNames(e.expr) {
			if !exported[name] {
				t.Errorf("%s: %s is not a metric prws exports (expr %q)", e.where, name, e.expr)
			}
		}
	}
	if t.Failed() {
		t.Logf("exported: %s", strings.Join(sortedKeys(exported), " "))
	}
}

type located struct{ where, expr string }

func dashboardExprs(t *testing.T) []located {
	var d struct {
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	var out []located
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out = append(out, located{"dashboard panel " + p.Title, tg.Expr})
		}
	}
	for _, v := range d.Templating.List {
		out = append(out, located{"dashboard variable " + v.Name, v.Definition})
	}
	return out
}

func ruleExprs(t *testing.T) []located {
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	var out []located
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			// A rule on prws itself being down reads its scrape job's up.
			if len(metricNames(r.Expr)) == 0 && !strings.Contains(r.Expr, `up{job=~"prws`) {
				t.Errorf("rule %s: no prws metric in %q", r.Alert, r.Expr)
			}
			out = append(out, located{"rule " + r.Alert, r.Expr})
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no rules", rulesFile)
	}
	return out
}

func TestRulesWithPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian: apt-get install prometheus); rules not checked")
	}
	for _, args := range [][]string{{"check", "rules", rulesFile}, {"test", "rules", rulesTestFile}} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// exportedMetrics runs a wired daemon with every optional component on,
// drives traffic through it (accepted writes, a backend that refuses
// batches for good, one that is down and builds a backlog, limiter
// drops, watchdog transitions) and returns the
// names of every metric in its registry, histogram series names included.
func exportedMetrics(t *testing.T) map[string]bool {
	ok, refusing, down := backend(t, http.StatusNoContent), backend(t, http.StatusBadRequest), backend(t, http.StatusServiceUnavailable)
	cfg := config.Defaults()
	cfg.ShutdownDelay = 0
	cfg.DataDir = t.TempDir()
	cfg.Backends = []string{ok.URL + "/api/v1/write", refusing.URL + "/api/v1/write", down.URL + "/api/v1/write"}
	cfg.ReplicaFactor = 3
	cfg.MinWait, cfg.MaxWait = 5*time.Millisecond, 50*time.Millisecond
	cfg.MaxHourlySeries, cfg.MaxDailySeries = 5, 5
	cfg.Watchdog, cfg.WatchdogInterval = true, 20*time.Millisecond
	cfg.MaxQueueBytes = 64 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	d, err := daemon.New(cfg, "test", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ln); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d.Shutdown(ctx)
	}()
	base := "http://" + cfg.Listen
	for range 3 {
		push(t, base+"/api/v1/write", 20)
	}
	names := map[string]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for _, want := range []string{"prws_remote_dead_letter_batches_total", "prws_watchdog_transitions_total",
		"prws_queue_oldest_pending_timestamp_seconds", "prws_remote_requests_total"} {
		for !names[want] {
			if time.Now().After(deadline) {
				t.Fatalf("no %s after 10s of traffic; have %v", want, sortedKeys(names))
			}
			time.Sleep(50 * time.Millisecond)
			names = gather(t, d)
		}
	}
	return names
}

func gather(t *testing.T, d *daemon.Daemon) map[string]bool {
	mfs, err := d.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		n := mf.GetName()
		names[n] = true
		switch mf.GetType() {
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			names[n+"_bucket"], names[n+"_sum"], names[n+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[n+"_sum"], names[n+"_count"] = true, true
		}
	}
	return names
}

// backend is a remote-write backend answering status to everything.
func backend(t *testing.T, status int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// push sends n one-sample series.
func push(t *testing.T, url string, n int) {
	var wr prompb.WriteRequest
	for i := range n {
		wr.Timeseries = append(wr.Timeseries, prompb.TimeSeries{
			Labels:  []prompb.Label{{Name: "__name__", Value: "deploy_test"}, {Name: "i", Value: fmt.Sprint(i)}},
			Samples: []prompb.Sample{{Timestamp: time.Now().UnixMilli(), Value: 1}},
		})
	}
	raw, err := wr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(snappy.Encode(nil, raw)))
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("push: %s", resp.Status)
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
