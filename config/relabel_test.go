package config

import (
	"errors"
	"strings"
	"testing"
)

func TestPolicyParsedAndMerged(t *testing.T) {
	dir := t.TempDir()
	cfg := Defaults()
	cfg.Backends = []string{"http://a:9090/api/v1/write", "http://c:9090/api/v1/write"}
	cfg.MaxSendSamplesPerSecond, cfg.MaxSendRequestsPerSecond = 1000, 5
	cfg.TenantHeader = "X-Scope-OrgID"
	cfg.ConfigFile = writeFile(t, dir, "prws.yml", `
relabel_configs:
  - {source_labels: [__name__], regex: 'go_.*', action: drop}
tenant_limits:
  default: {samples_per_second: 100}
  overrides: {big: {samples_per_second: 1000, burst: 5000}}
backends:
  - url: http://a:9090/api/v1/write
    write_relabel_configs: [{source_labels: [job], regex: node, action: keep}]
    max_samples_per_second: 0
  - url: http://b:9090/api/v1/write
    max_requests_per_second: 2
`)
	s, err := cfg.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Relabel) != 1 || s.Relabel[0].Action != "drop" || s.Relabel[0].Separator != ";" {
		t.Fatalf("global rules %+v (Prometheus defaults must apply)", s.Relabel)
	}
	if s.TenantLimits.For("big").Burst != 5000 || s.TenantLimits.For("other").SamplesPerSecond != 100 {
		t.Fatalf("tenant limits %+v", s.TenantLimits)
	}
	want := map[string]SendLimit{
		"http://a:9090/api/v1/write": {0, 5},    // samples overridden to unlimited
		"http://c:9090/api/v1/write": {1000, 5}, // flags only
		"http://b:9090/api/v1/write": {1000, 2},
	}
	for _, b := range s.Backends {
		if b.SendLimit != want[b.Name] {
			t.Errorf("%s: send limit %+v, want %+v", b.Name, b.SendLimit, want[b.Name])
		}
		if rules := len(b.Relabel); rules != map[bool]int{true: 1}[b.Name == "http://a:9090/api/v1/write"] {
			t.Errorf("%s: %d write rules", b.Name, rules)
		}
	}
}

// TestPolicyErrors: a bad rule is refused with the list, the rule and
// the reason.
func TestPolicyErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"hashmod without modulus", "relabel_configs: [{source_labels: [a], target_label: b, action: hashmod}]",
			"relabel_configs[0] {source_labels: [a]"},
		{"reason", "relabel_configs: [{source_labels: [a], target_label: b, action: hashmod}]", "requires non-zero modulus"},
		{"unknown action", "relabel_configs: [{action: explode}]", `unknown relabel action "explode"`},
		{"bad regex", "relabel_configs: [{regex: '(', action: drop}]", "missing closing )"},
		{"backend rule", "backends: [{url: 'http://u:pw@a/w', write_relabel_configs: [{action: replace}]}]",
			"backend http://u:xxxxx@a/w: write_relabel_configs[0]"},
		{"labeldrop extra field", "backends: [{url: 'http://a/w', write_relabel_configs: [{action: labeldrop, regex: x, target_label: y}]}]",
			"labeldrop action requires only 'regex'"},
		{"negative rate", "backends: [{url: 'http://a/w', max_samples_per_second: -1}]", "must be >= 0"},
		{"negative tenant rate", "tenant_limits: {default: {samples_per_second: -5}}", "tenant_limits: default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFile([]byte(tc.yaml), "/")
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), ":pw@") {
				t.Fatalf("secret in %v", err)
			}
		})
	}
}

func TestTenantLimitsNeedTenantHeader(t *testing.T) {
	cfg := Defaults()
	cfg.Backends = []string{"http://a/w"}
	cfg.ConfigFile = writeFile(t, t.TempDir(), "prws.yml", "tenant_limits: {default: {samples_per_second: 10}}\n")
	if _, err := cfg.Load(); err == nil || !strings.Contains(err.Error(), "tenant_limits needs a tenant header") {
		t.Fatalf("err %v", err)
	}
	cfg.MaxSendSamplesPerSecond = -1
	cfg.ConfigFile = ""
	if _, err := cfg.Load(); err == nil || !strings.Contains(err.Error(), "--max-send-samples-per-second") {
		t.Fatalf("negative cap: err %v", err)
	}
}
