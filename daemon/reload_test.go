package daemon

import (
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/prws/prws/config"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/router"
)

// startWithFile starts a daemon whose backends come from the YAML file
// text (written to dir/prws.yml) and returns it with the file's path.
func startWithFile(t *testing.T, text string) (*Daemon, string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "prws.yml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.DataDir, cfg.ConfigFile, cfg.ShutdownDelay = filepath.Join(dir, "data"), file, 0
	d, err := New(cfg, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ln); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Shutdown(t.Context()) })
	return d, file
}

// snapshot is what a refused reload must leave exactly as it was.
type snapshot struct {
	settings map[string]string // backend id -> headers of its current settings
	workers  map[string]any    // backend id/shard -> worker
	ring     *topology
	entries  []string // every file and directory of the data dir
}

func take(t *testing.T, d *Daemon) snapshot {
	t.Helper()
	s := snapshot{settings: map[string]string{}, workers: map[string]any{}, ring: d.current()}
	for id, sink := range d.all {
		cur, _ := sink.current()
		s.settings[id] = cur.URL + " " + cur.Headers["X-Gen"]
		for _, q := range sink.queues {
			s.workers[id+"/"+string(rune('0'+q.shard))] = q.w.Load()
		}
	}
	filepath.WalkDir(d.cfg.DataDir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !strings.Contains(p, "LOCK") {
			s.entries = append(s.entries, strings.TrimPrefix(p, d.cfg.DataDir))
		}
		return nil
	})
	return s
}

func (a snapshot) same(t *testing.T, b snapshot) {
	t.Helper()
	if a.ring != b.ring {
		t.Error("the topology was swapped")
	}
	for id, v := range a.settings {
		if b.settings[id] != v {
			t.Errorf("backend %s settings changed: %q -> %q", id, v, b.settings[id])
		}
	}
	for k, w := range a.workers {
		if b.workers[k] != w {
			t.Errorf("worker %s was restarted", k)
		}
	}
	if strings.Join(a.entries, "\n") != strings.Join(b.entries, "\n") {
		t.Errorf("data dir changed:\nbefore %v\nafter  %v", a.entries, b.entries)
	}
}

func gauge(t *testing.T, d *Daemon, name string) float64 {
	t.Helper()
	mfs, err := d.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			return gaugeValue(m)
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func gaugeValue(m *dto.Metric) float64 { return m.GetGauge().GetValue() }

// TestRefusedReloadChangesNothing: a file whose first half is a valid
// change (backend a's headers) and whose second half cannot be applied
// leaves the running daemon exactly as it was: settings, workers, ring,
// data dir, and reports the failure.
func TestRefusedReloadChangesNothing(t *testing.T) {
	const a = "http://127.0.0.1:1/a/api/v1/write"
	const b = "http://127.0.0.1:1/b/api/v1/write"
	d, file := startWithFile(t, "backends:\n  - url: "+a+"\n    headers: {X-Gen: '1'}\n  - url: "+b+"\n")
	if gauge(t, d, "prws_build_info") != 1 {
		t.Error("no prws_build_info")
	}
	if gauge(t, d, "prws_ring_members") != 2 {
		t.Errorf("prws_ring_members without --watchdog = %v, want 2", gauge(t, d, "prws_ring_members"))
	}
	cID, err := router.BackendID("http://127.0.0.1:1/c/api/v1/write")
	if err != nil {
		t.Fatal(err)
	}
	// c's first queue directory is blocked by a file: c cannot be
	// opened, after its registration and dead-letter log could be.
	if err := os.MkdirAll(datadir.BackendDir(d.cfg.DataDir, cID), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(datadir.QueueDir(d.cfg.DataDir, cID, 0), []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := take(t, d)
	for name, text := range map[string]string{
		"added backend cannot be opened": "backends:\n  - url: " + a + "\n    headers: {X-Gen: '2'}\n  - url: " + b +
			"\n  - url: http://127.0.0.1:1/c/api/v1/write\n",
		"changed backend's client cannot be built": "backends:\n  - url: " + a + "\n    headers: {X-Gen: '2'}\n  - url: " + b +
			"\n    tls_config: {ca_file: " + filepath.Join(t.TempDir(), "missing-ca.pem") + "}\n",
	} {
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := d.Reload(); err == nil {
			t.Fatalf("%s: reload accepted", name)
		}
		take(t, d).same(t, before)
		if v := gauge(t, d, "prws_config_last_reload_successful"); v != 0 {
			t.Errorf("%s: prws_config_last_reload_successful = %v", name, v)
		}
	}
	// The same change without the bad half applies.
	os.WriteFile(file, []byte("backends:\n  - url: "+a+"\n    headers: {X-Gen: '2'}\n  - url: "+b+"\n"), 0o600)
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if after := take(t, d); after.settings[before.ring.backends[0].ID] != a+" 2" {
		t.Errorf("good reload not applied: %v", after.settings)
	}
}
