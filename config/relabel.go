package config

import (
	"fmt"
	"math"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/relabel"
	"go.yaml.in/yaml/v2"

	"github.com/prws/prws/router"
)

// FilePolicy is the part of the config file about what is kept and how
// fast it flows: global relabeling and per-tenant ingest limits. It is
// inline in File.
type FilePolicy struct {
	// RelabelConfigs are Prometheus relabel_config rules applied to every
	// incoming series before external labels, the series limits and
	// hashing: a dropped series is never queued, a rewritten one is
	// routed as it will be stored.
	RelabelConfigs []*relabel.Config `yaml:"relabel_configs,omitempty"`
	// TenantLimits caps the samples per second each tenant may write
	// (needs a tenant header). Nil: no tenant limit.
	TenantLimits *TenantLimits `yaml:"tenant_limits,omitempty"`
}

// BackendPolicy is the part of a file backend about what it gets and how
// fast: its write_relabel_configs and its send-rate cap. It is inline in
// FileBackend.
type BackendPolicy struct {
	// WriteRelabelConfigs are applied, at ingest, to the series routed
	// to this backend (after the global rules and external labels): a
	// series they drop is placed on the other backends only.
	WriteRelabelConfigs []*relabel.Config `yaml:"write_relabel_configs,omitempty"`
	// MaxSamplesPerSecond and MaxRequestsPerSecond override
	// --max-send-samples-per-second and --max-send-requests-per-second
	// for this backend; absent: the flag; 0: unlimited.
	MaxSamplesPerSecond  *float64 `yaml:"max_samples_per_second,omitempty"`
	MaxRequestsPerSecond *float64 `yaml:"max_requests_per_second,omitempty"`
}

// SendLimit caps what replay sends to one backend, summed over its
// shards. 0 in a field means unlimited.
type SendLimit struct {
	SamplesPerSecond  float64
	RequestsPerSecond float64
}

// TenantLimits are the per-tenant ingest rate limits of the file.
type TenantLimits struct {
	// Default applies to every tenant without an override.
	Default RateLimit `yaml:"default"`
	// Overrides by tenant id.
	Overrides map[string]RateLimit `yaml:"overrides,omitempty"`
}

// RateLimit is a token bucket of samples: SamplesPerSecond refill rate
// (0: unlimited) and Burst, the most a tenant may write at once after
// being idle (0: one second's worth).
type RateLimit struct {
	SamplesPerSecond float64 `yaml:"samples_per_second"`
	Burst            int     `yaml:"burst,omitempty"`
}

// For returns the limit of tenant.
func (t *TenantLimits) For(tenant string) RateLimit {
	if l, ok := t.Overrides[tenant]; ok {
		return l
	}
	return t.Default
}

// validate checks the global rules and the tenant limits; tenancy says
// whether a tenant header is configured.
func (p *FilePolicy) validate() error {
	if err := checkRules("relabel_configs", p.RelabelConfigs); err != nil {
		return err
	}
	if p.TenantLimits == nil {
		return nil
	}
	if err := p.TenantLimits.Default.check("tenant_limits: default"); err != nil {
		return err
	}
	for id, l := range p.TenantLimits.Overrides {
		if err := l.check(fmt.Sprintf("tenant_limits: overrides: %q", id)); err != nil {
			return err
		}
	}
	return nil
}

func (l RateLimit) check(where string) error {
	if !finiteNonNegative(l.SamplesPerSecond) || l.Burst < 0 {
		return invalid("%s: samples_per_second and burst must be >= 0", where)
	}
	return nil
}

// validate checks a backend's rules and rate overrides; name is its
// redacted URL.
func (p *BackendPolicy) validate(name string) error {
	if err := checkRules("backend "+name+": write_relabel_configs", p.WriteRelabelConfigs); err != nil {
		return err
	}
	for _, v := range []*float64{p.MaxSamplesPerSecond, p.MaxRequestsPerSecond} {
		if v != nil && !finiteNonNegative(*v) {
			return invalid("backend %s: max_samples_per_second and max_requests_per_second must be >= 0", name)
		}
	}
	return nil
}

func finiteNonNegative(v float64) bool { return v >= 0 && !math.IsInf(v, 0) && !math.IsNaN(v) }

// checkRules validates rules as Prometheus does, with UTF-8 label names
// (Prometheus 3's default). An error names the list, the rule's index,
// the rule itself and the reason.
func checkRules(where string, rules []*relabel.Config) error {
	for i, r := range rules {
		if r == nil {
			return invalid("%s[%d]: empty rule", where, i)
		}
		if err := r.Validate(model.UTF8Validation); err != nil {
			return invalid("%s[%d] %s: %v", where, i, ruleText(r), err)
		}
	}
	return nil
}

// ruleText renders a rule on one line, for error messages.
func ruleText(r *relabel.Config) string {
	out, err := yaml.Marshal(r)
	if err != nil {
		return "{action: " + string(r.Action) + "}"
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return "{" + strings.Join(lines, ", ") + "}"
}

// applyPolicy sets every backend's write rules and send limit (the
// flags' cap unless the file overrides it) and the global policy of s.
func (c Config) applyPolicy(s *Settings, file *File) error {
	byID := map[string]BackendPolicy{}
	if file != nil {
		for _, f := range file.Backends {
			id, _ := router.BackendID(f.URL) // checked by ParseFile
			byID[id] = f.BackendPolicy
		}
		s.Relabel = file.RelabelConfigs
		s.TenantLimits = file.TenantLimits
	}
	for i := range s.Backends {
		b := &s.Backends[i]
		p := byID[b.ID]
		b.Relabel = p.WriteRelabelConfigs
		b.SendLimit = SendLimit{SamplesPerSecond: c.MaxSendSamplesPerSecond, RequestsPerSecond: c.MaxSendRequestsPerSecond}
		if p.MaxSamplesPerSecond != nil {
			b.SendLimit.SamplesPerSecond = *p.MaxSamplesPerSecond
		}
		if p.MaxRequestsPerSecond != nil {
			b.SendLimit.RequestsPerSecond = *p.MaxRequestsPerSecond
		}
	}
	if s.TenantLimits != nil && s.TenantHeader == "" {
		return invalid("tenant_limits needs a tenant header: set --tenant-header or tenant_header")
	}
	return nil
}

// checkSendFlags validates the send-rate flags.
func (c Config) checkSendFlags() error {
	if !finiteNonNegative(c.MaxSendSamplesPerSecond) || !finiteNonNegative(c.MaxSendRequestsPerSecond) {
		return invalid("--max-send-samples-per-second and --max-send-requests-per-second must be >= 0")
	}
	return nil
}
