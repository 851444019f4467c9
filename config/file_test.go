package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseFileFull(t *testing.T) {
	f, err := ParseFile([]byte(`
backends:
  - url: https://mimir.example/api/v1/push
    protocol: v2
    remote_timeout: 10s
    headers: {X-Foo: bar}
    basic_auth: {username: u, password_file: pw}
    tls_config: {insecure_skip_verify: true}
    proxy_url: http://proxy:3128
  - url: http://vm:8428/api/v1/write
    authorization: {credentials: tok}
tenant_header: X-Scope-OrgID
`), "/etc/prws")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Backends) != 2 || f.TenantHeader != "X-Scope-OrgID" {
		t.Fatalf("got %+v", f)
	}
	b := f.Backends[0]
	if b.Protocol != "v2" || time.Duration(b.RemoteTimeout) != 10*time.Second || b.Headers["X-Foo"] != "bar" {
		t.Errorf("backend 0: %+v", b)
	}
	if b.HTTPClientConfig.BasicAuth.PasswordFile != "/etc/prws/pw" {
		t.Errorf("password_file not resolved against the file's dir: %q", b.HTTPClientConfig.BasicAuth.PasswordFile)
	}
	if !b.HTTPClientConfig.FollowRedirects || !b.HTTPClientConfig.EnableHTTP2 {
		t.Error("Prometheus client defaults not applied")
	}
	if a := f.Backends[1].HTTPClientConfig.Authorization; a == nil || a.Type != "Bearer" {
		t.Errorf("authorization type not defaulted to Bearer: %+v", a)
	}
}

func TestParseFileErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown field", "backends: [{url: http://a/w, colour: red}]", "field colour not found"},
		{"no url", "backends: [{protocol: v1}]", "backends[0]: url is required"},
		{"bad protocol", "backends: [{url: 'http://u:hunter2@a/w', protocol: v3}]", "backend http://u:xxxxx@a/w: protocol must be v1 or v2"},
		{"bad url", "backends: [{url: 'ftp://a/w?token=s3cr3t'}]", "backend ftp://a/w?token=xxxxx: url:"},
		{"two auths", "backends: [{url: 'http://a/w?token=s3cr3t', basic_auth: {username: u, password: hunter2}, authorization: {credentials: t0k3n}}]",
			"backend http://a/w?token=xxxxx: at most one of basic_auth, oauth2 & authorization"},
		{"reserved header", "backends: [{url: http://a/w, headers: {authorization: Bearer hunter2}}]", "headers: Authorization is set by prws or by basic_auth"},
		{"duplicate", "backends: [{url: 'http://u:hunter2@a/w'}, {url: 'http://a/w'}]", "are the same backend"},
		{"bad tenant header", "tenant_header: 'X Org'", "tenant_header:"},
		{"negative timeout", "backends: [{url: http://a/w, remote_timeout: -1s}]", "not a valid duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFile([]byte(tc.yaml), ".")
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			for _, secret := range []string{"hunter2", "s3cr3t", "t0k3n"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks %q: %v", secret, err)
				}
			}
		})
	}
}

func TestLoadMergesByIdentity(t *testing.T) {
	dir := t.TempDir()
	cfg := Defaults()
	cfg.Backends = []string{"http://a:9090/api/v1/write", "http://b:9090/api/v1/write"}
	cfg.ConfigFile = writeFile(t, dir, "prws.yml", `
backends:
  - url: http://user:pw@b:9090/api/v1/write
    headers: {X-Foo: bar}
  - url: http://c:9090/api/v1/write
tenant_header: X-Scope-OrgID
`)
	s, err := cfg.Load()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range s.Backends {
		names = append(names, b.Name)
	}
	want := "http://a:9090/api/v1/write,http://user:xxxxx@b:9090/api/v1/write,http://c:9090/api/v1/write"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("backends %s, want %s", got, want)
	}
	if s.Backends[0].HTTP != nil || s.Backends[1].HTTP == nil || s.Backends[1].Headers["X-Foo"] != "bar" {
		t.Errorf("file settings not applied to the shared backend only: %+v", s.Backends[:2])
	}
	if s.Backends[1].URL != "http://user:pw@b:9090/api/v1/write" {
		t.Error("a backend in both does not take its URL from the file")
	}
	if s.TenantHeader != "X-Scope-OrgID" {
		t.Errorf("tenant header %q", s.TenantHeader)
	}
	cfg.TenantHeader = "THANOS-TENANT"
	if s, _ := cfg.Load(); s.TenantHeader != "THANOS-TENANT" {
		t.Errorf("--tenant-header does not win over the file: %q", s.TenantHeader)
	}
}

func TestLoadFileOnlyAndErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := Defaults()
	cfg.ConfigFile = writeFile(t, dir, "prws.yml", "backends: [{url: 'http://a/w'}]\n")
	if s, err := cfg.Load(); err != nil || len(s.Backends) != 1 {
		t.Fatalf("file-only config: %v %v", s.Backends, err)
	}
	cfg.ReplicaFactor = 2
	if _, err := cfg.Load(); err == nil || !strings.Contains(err.Error(), "--replica_factor 2 is more than the 1 configured backends") {
		t.Errorf("replica factor over backends: %v", err)
	}
	cfg.ReplicaFactor = 1
	cfg.MaxLaneQueues = -1
	if _, err := cfg.Load(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "--remote_write_max_lane_queues") {
		t.Errorf("negative lane queues: %v", err)
	}
	cfg.MaxLaneQueues = 0
	cfg.ConfigFile = filepath.Join(dir, "missing.yml")
	if _, err := cfg.Load(); !errors.Is(err, ErrInvalid) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	cfg.ConfigFile = ""
	if _, err := cfg.Load(); err == nil || !strings.Contains(err.Error(), "no backend") {
		t.Errorf("no backends: %v", err)
	}
}

func TestBackendSecretsPrintRedacted(t *testing.T) {
	cfg := Defaults()
	cfg.ConfigFile = writeFile(t, t.TempDir(), "prws.yml",
		"backends: [{url: 'http://a/w', basic_auth: {username: u, password: hunter2}}]\n")
	s, err := cfg.Load()
	if err != nil {
		t.Fatal(err)
	}
	if out := s.Backends[0].HTTP.String(); strings.Contains(out, "hunter2") || !strings.Contains(out, "<secret>") {
		t.Errorf("client config prints %s", out)
	}
	c, err := s.Backends[0].NewClient()
	if err != nil || c == nil {
		t.Fatalf("client: %v", err)
	}
	if !s.Backends[0].SameConnection(s.Backends[0]) {
		t.Error("a backend differs from itself")
	}
}
