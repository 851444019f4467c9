package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prws/prws/config"
	"github.com/prws/prws/internal/testenv"
)

// TestTenantHeaderPassedThrough: the tenant of a write reaches the
// backend in the same header; an invalid tenant is refused with 400.
func TestTenantHeaderPassedThrough(t *testing.T) {
	be := newHdrBackend(t)
	cfg := config.Defaults()
	cfg.ShutdownDelay = 0
	cfg.DataDir, cfg.Backends, cfg.TenantHeader = t.TempDir(), []string{be.URL()}, "X-Scope-OrgID"
	cfg.MinWait, cfg.MaxWait = 5*time.Millisecond, 50*time.Millisecond
	in := start(t, cfg)
	body := encode(t, testenv.NodeSeries(0, 10, 1000))
	if code, msg := post(t, in.url, body, map[string]string{"X-Scope-OrgID": "team-a"}); code != http.StatusNoContent {
		t.Fatalf("write: %d %s", code, msg)
	}
	testenv.Eventually(t, 10*time.Second, "delivery", func() bool { return be.SampleCount() == 10 })
	if got := be.LastHeader("X-Scope-OrgID"); got != "team-a" {
		t.Errorf("backend got X-Scope-OrgID %q, want team-a", got)
	}
	for _, bad := range []string{"", strings.Repeat("a", 151), "team/../b", "."} {
		hdr := map[string]string{"X-Scope-OrgID": bad}
		if code, msg := post(t, in.url, body, hdr); code != http.StatusBadRequest {
			t.Errorf("tenant %q: %d %s, want 400", bad, code, msg)
		}
	}
}

// TestTenantHeaderFromFile: tenant_header of --config.file works like
// --tenant-header, and a reload may not change it.
func TestTenantHeaderFromFile(t *testing.T) {
	be := newHdrBackend(t)
	dir := t.TempDir()
	cfg := fastConfig(dir)
	cfg.ConfigFile = writeYAML(t, dir, "backends: [{url: '"+be.URL()+"'}]\ntenant_header: THANOS-TENANT\n")
	in := start(t, cfg)
	if code, msg := post(t, in.url, encode(t, testenv.NodeSeries(0, 5, 1000)), map[string]string{"THANOS-TENANT": "t1"}); code != http.StatusNoContent {
		t.Fatalf("write: %d %s", code, msg)
	}
	testenv.Eventually(t, 10*time.Second, "delivery", func() bool { return be.SampleCount() == 5 })
	if got := be.LastHeader("THANOS-TENANT"); got != "t1" {
		t.Errorf("backend got THANOS-TENANT %q, want t1", got)
	}
	writeYAML(t, dir, "backends: [{url: '"+be.URL()+"'}]\ntenant_header: X-Scope-OrgID\n")
	if err := in.d.Reload(); err == nil || !strings.Contains(err.Error(), "tenant header changed") {
		t.Errorf("reload changing the tenant header: %v", err)
	}
}

// TestProtocolFromFile: protocol v2 in --config.file makes the backend
// receive remote-write 2.0.
func TestProtocolFromFile(t *testing.T) {
	be := newHdrBackend(t)
	dir := t.TempDir()
	cfg := fastConfig(dir)
	cfg.ConfigFile = writeYAML(t, dir, "backends: [{url: '"+be.URL()+"', protocol: v2, remote_timeout: 3s}]\n")
	in := start(t, cfg)
	writeN(t, in, 0, 5)
	testenv.Eventually(t, 10*time.Second, "a request", func() bool { return be.Requests() > 0 })
	if got := be.FirstHeader("Content-Type"); !strings.Contains(got, "io.prometheus.write.v2.Request") {
		t.Errorf("v2 backend got Content-Type %q", got)
	}
}
