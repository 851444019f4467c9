package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/config"
	"github.com/prws/prws/internal/testenv"
)

// fastConfig is a config with fast retries and no backends.
func fastConfig(dir string) config.Config {
	cfg := config.Defaults()
	cfg.ShutdownDelay = 0
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.MinWait, cfg.MaxWait = 5*time.Millisecond, 50*time.Millisecond
	cfg.RemoteTimeout = 2 * time.Second
	cfg.SegmentBytes = 256 << 10
	cfg.Lifecycle = true
	return cfg
}

// writeYAML (re)writes dir/prws.yml and returns its path.
func writeYAML(t *testing.T, dir, text string) string {
	t.Helper()
	p := filepath.Join(dir, "prws.yml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// reload POSTs /-/reload and returns the status and body.
func reload(t *testing.T, in *instance, method string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, in.base+"/-/reload", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricValue returns the value of an unlabelled gauge of in.
func metricValue(t *testing.T, in *instance, name string) float64 {
	t.Helper()
	mfs, err := in.d.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// writeN writes series [from, from+n) and fails the test on a non-204.
func writeN(t *testing.T, in *instance, from, n int) {
	t.Helper()
	if code, msg := post(t, in.url, encode(t, testenv.NodeSeries(from, n, 1000)), nil); code != http.StatusNoContent {
		t.Fatalf("write: %d %s", code, msg)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestReloadAddChangeRemove adds a backend, changes its headers while it
// has a backlog, removes it while it has a backlog, and checks that every
// acknowledged sample is delivered exactly where the ring sent it.
func TestReloadAddChangeRemove(t *testing.T) {
	a, b := newHdrBackend(t), newHdrBackend(t)
	dir := t.TempDir()
	cfg := fastConfig(dir)
	cfg.Backends = []string{a.URL()}
	cfg.ConfigFile = writeYAML(t, dir, "backends: []\n")
	in := start(t, cfg)
	writeN(t, in, 0, 1000)

	writeYAML(t, dir, "backends: [{url: '"+b.URL()+"', headers: {X-Gen: '1'}}]\n")
	if code, msg := reload(t, in, http.MethodPost); code != http.StatusOK {
		t.Fatalf("reload adding b: %d %s", code, msg)
	}
	var ring []struct{ Backend string }
	getJSON(t, in.base+adminapi.PathRing, &ring)
	if len(ring) != 2 {
		t.Fatalf("ring after adding b: %+v", ring)
	}
	writeN(t, in, 1000, 1000)
	testenv.Eventually(t, 10*time.Second, "b receives its share", func() bool { return b.SampleCount() > 0 })
	if got := b.LastHeader("X-Gen"); got != "1" {
		t.Errorf("b got X-Gen %q, want 1", got)
	}

	b.Set(echoFail(http.StatusServiceUnavailable))
	writeN(t, in, 2000, 1000) // part of it queues for b
	writeYAML(t, dir, "backends: [{url: '"+b.URL()+"', headers: {X-Gen: '2'}}]\n")
	if err := in.d.Reload(); err != nil {
		t.Fatalf("reload changing b's headers: %v", err)
	}
	b.Set(echoFail(0))
	testenv.Eventually(t, 20*time.Second, "b's backlog sent with the new header", func() bool {
		return a.SampleCount()+b.SampleCount() == 3000
	})
	if got := b.LastHeader("X-Gen"); got != "2" {
		t.Errorf("b got X-Gen %q after the reload, want 2", got)
	}

	b.Set(echoFail(http.StatusServiceUnavailable))
	writeN(t, in, 3000, 1000)
	writeYAML(t, dir, "backends: []\n")
	if code, msg := reload(t, in, http.MethodPost); code != http.StatusOK {
		t.Fatalf("reload removing b: %d %s", code, msg)
	}
	writeN(t, in, 4000, 1000) // all of it to a
	var qs []adminapi.QueueStatus
	getJSON(t, in.base+adminapi.PathQueues, &qs)
	removed := 0
	for _, q := range qs {
		if !q.Configured {
			removed++
			if q.Routed {
				t.Errorf("removed backend's queue still routed: %+v", q)
			}
		}
	}
	if removed != cfg.Shards {
		t.Errorf("%d queues of the removed backend listed, want %d", removed, cfg.Shards)
	}
	b.Set(echoFail(0))
	testenv.Eventually(t, 20*time.Second, "removed backend's backlog drained", func() bool {
		return a.SampleCount()+b.SampleCount() == 5000
	})
	if n := b.MaxSeries(); n >= 4000 {
		t.Errorf("removed backend got series %d, written after its removal", n)
	}
	if v := metricValue(t, in, "prws_config_last_reload_successful"); v != 1 {
		t.Errorf("prws_config_last_reload_successful = %v, want 1", v)
	}
}

// TestReloadRejected: a bad file, too few backends for the replica
// factor and a GET keep the running configuration and say why.
func TestReloadRejected(t *testing.T) {
	a, b := newHdrBackend(t), newHdrBackend(t)
	dir := t.TempDir()
	cfg := fastConfig(dir)
	cfg.ReplicaFactor = 2
	cfg.Backends = []string{a.URL()}
	good := "backends: [{url: '" + b.URL() + "'}]\n"
	cfg.ConfigFile = writeYAML(t, dir, good)
	in := start(t, cfg)
	if code, _ := reload(t, in, http.MethodGet); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: %d, want 405", code)
	}
	before := metricValue(t, in, "prws_config_last_reload_success_timestamp_seconds")
	for _, tc := range []struct{ yaml, want string }{
		{"backends: [{url: '" + b.URL() + "', protocol: v9}]\n", "protocol must be v1 or v2"},
		{"backends: [{url: 'http://u:hunter2@x/w', basic_auth: {username: u, password: p}, authorization: {credentials: c}}]\n", "backend http://u:xxxxx@x/w: at most one of"},
		{"backends: []\n", "--replica_factor 2 is more than the 1 configured backends"},
		{"backends: [{url: 'http://x/w', bogus: 1}]\n", "field bogus not found"},
	} {
		writeYAML(t, dir, tc.yaml)
		code, msg := reload(t, in, http.MethodPost)
		if code != http.StatusBadRequest || !strings.Contains(msg, tc.want) || strings.Contains(msg, "hunter2") {
			t.Errorf("reload of %q: %d %q, want 400 with %q", tc.yaml, code, msg, tc.want)
		}
		if v := metricValue(t, in, "prws_config_last_reload_successful"); v != 0 {
			t.Errorf("prws_config_last_reload_successful = %v after a failed reload", v)
		}
	}
	writeN(t, in, 0, 100)
	testenv.Eventually(t, 10*time.Second, "both backends still serve", func() bool {
		return a.SampleCount() == 100 && b.SampleCount() == 100
	})
	writeYAML(t, dir, good)
	if code, msg := reload(t, in, http.MethodPost); code != http.StatusOK {
		t.Fatalf("good reload: %d %s", code, msg)
	}
	if v := metricValue(t, in, "prws_config_last_reload_success_timestamp_seconds"); v <= before {
		t.Errorf("success timestamp %v not after %v", v, before)
	}
}
