package daemon

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	promconfig "github.com/prometheus/common/config"

	"github.com/prws/prws/config"
	"github.com/prws/prws/internal/redact"
)

func TestScrubberLogsAndText(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("from-file-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := redact.NewScrubber()
	s.Add(backendsSecrets([]config.Backend{
		{URL: "http://u:hunter2@a/w?token=s3cr3t&db=prometheus"},
		{URL: "http://b/w", Headers: map[string]string{"X-Api-Key": "k3y-value", "X-Org": "visible"},
			HTTP: &promconfig.HTTPClientConfig{BasicAuth: &promconfig.BasicAuth{Username: "bob", PasswordFile: pw}}},
		{URL: "http://c/w", HTTP: &promconfig.HTTPClientConfig{Authorization: &promconfig.Authorization{Credentials: "t0k3n"}}},
	})...)
	var buf bytes.Buffer
	log := slog.New(redact.NewHandler(slog.NewTextHandler(&buf, nil), s)).With("url", "http://u:hunter2@a/w")
	log.Info("answer hunter2", "err", errors.New("Authorization: Bearer t0k3n"), slog.Group("g", "k", "k3y-value"),
		"body", []byte("from-file-pw"), "plain", "prometheus visible")
	out := buf.String()
	for _, secret := range []string{"hunter2", "s3cr3t", "t0k3n", "k3y-value", "from-file-pw"} {
		if strings.Contains(out, secret) {
			t.Errorf("log leaks %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "prometheus visible") {
		t.Errorf("non-secret text scrubbed: %s", out)
	}
	if got := s.Text("x Ym9iOmZyb20tZmlsZS1wdw== y"); strings.Contains(got, "Ym9i") {
		t.Errorf("basic-auth header value not scrubbed: %s", got)
	}
}
