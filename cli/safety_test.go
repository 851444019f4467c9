package cli

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/prws/prws/config"
)

// deadLettered runs a daemon on data whose only backend refuses every
// batch until n samples are dead-lettered, and returns the daemon's URL
// and its stop function.
func deadLettered(t *testing.T, data string, n int, mutate func(*config.Config)) (string, func()) {
	t.Helper()
	be := newBackend(t, 400)
	base, stop := startDaemon(t, data, mutate, be)
	push(t, base, n)
	eventually(t, "dead letters", func() bool {
		got := 0
		for _, d := range deadLetters(t, data) {
			got += d.Samples
		}
		return got == n
	})
	return base, stop
}

// TestStateChangingEndpointsNeedTheirFlag: by default the daemon refuses
// dead-letter purge and replay and POST /-/reload with 403 naming the
// flag, serves every read-only endpoint, and the CLI says which flag
// to turn on.
func TestStateChangingEndpointsNeedTheirFlag(t *testing.T) {
	data := t.TempDir()
	base, _ := deadLettered(t, data, 5, func(c *config.Config) { c.AdminAPI, c.Lifecycle = false, false })
	for _, tc := range []struct{ path, flag string }{
		{"/api/v1/deadletter/purge", "--web.enable-admin-api"},
		{"/api/v1/deadletter/replay", "--web.enable-admin-api"},
		{"/-/reload", "--web.enable-lifecycle"},
	} {
		resp, err := http.Post(base+tc.path, "application/json", strings.NewReader(`{"all":true}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), tc.flag) {
			t.Errorf("POST %s: %d %q, want 403 naming %s", tc.path, resp.StatusCode, body, tc.flag)
		}
	}
	for _, p := range []string{"/api/v1/queues", "/api/v1/status", "/api/v1/ring", "/api/v1/deadletter", "/api/v1/limiter", "/metrics", "/-/healthy", "/-/ready"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
	_, err := run(t, "", "deadletter", "purge", "--all", "--yes", "--data-dir", data)
	if err == nil || !strings.Contains(err.Error(), "--web.enable-admin-api") || !strings.Contains(err.Error(), "stop prws") {
		t.Errorf("purge against a daemon without the admin API: %v", err)
	}
	if n := len(deadLetters(t, data)); n == 0 {
		t.Error("refused purge deleted dead letters")
	}
}

// TestPurgeAllAsks: --all asks first; no answer or a non-terminal stdin
// without --yes deletes nothing; "y" or --yes deletes.
func TestPurgeAllAsks(t *testing.T) {
	data := t.TempDir()
	_, stop := deadLettered(t, data, 5, nil)
	stop()
	if out, err := run(t, "n\n", "deadletter", "purge", "--all", "--data-dir", data); err == nil || !strings.Contains(out, "for good?") {
		t.Errorf("purge --all answered no: %v\n%s", err, out)
	}
	if len(deadLetters(t, data)) == 0 {
		t.Fatal("purge deleted after the answer no")
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	if interactive(devnull) {
		t.Error("/dev/null counts as a terminal")
	}
	if out, err := run(t, "y\n", "deadletter", "purge", "--older-than", "7d", "--data-dir", data); err != nil || strings.Contains(out, "purged 1") {
		t.Errorf("purge --older-than 7d of fresh dead letters: %v\n%s", err, out)
	}
	if len(deadLetters(t, data)) == 0 {
		t.Fatal("--older-than 7d deleted fresh dead letters")
	}
	if out, err := run(t, "y\n", "deadletter", "purge", "--all", "--data-dir", data); err != nil {
		t.Fatalf("purge --all answered yes: %v\n%s", err, out)
	}
	if n := len(deadLetters(t, data)); n != 0 {
		t.Errorf("%d dead letters left after purge --all", n)
	}
}

func TestPurgeNonInteractiveNeedsYes(t *testing.T) {
	data := t.TempDir()
	_, stop := deadLettered(t, data, 3, nil)
	stop()
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	app := newApp(io.Discard, io.Discard)
	app.Reader = devnull
	err := app.Run([]string{"prws", "deadletter", "purge", "--all", "--data-dir", data})
	if err == nil || !strings.Contains(err.Error(), "--yes") {
		t.Errorf("non-interactive purge --all: %v", err)
	}
	if len(deadLetters(t, data)) == 0 {
		t.Fatal("non-interactive purge deleted")
	}
	mustRun(t, "deadletter", "purge", "--all", "--yes", "--data-dir", data)
	if n := len(deadLetters(t, data)); n != 0 {
		t.Errorf("%d dead letters left after purge --all --yes", n)
	}
}

func TestMissingDataDir(t *testing.T) {
	for _, args := range [][]string{{"queues"}, {"queues", "--json"}, {"limiter"}, {"deadletter", "list"}} {
		_, err := run(t, "", append(args, "--data-dir", "/nonexistent/prws")...)
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("prws %s on a missing data dir: %v", strings.Join(args, " "), err)
		}
	}
}
