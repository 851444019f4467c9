package config

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	promconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v2"

	"github.com/prws/prws/internal/redact"
	"github.com/prws/prws/router"
)

// File is the document of --config.file: what flags cannot express.
// See the package doc for its format and how it merges with the flags.
type File struct {
	// Backends are per-backend connection settings. A backend also named
	// by --promes takes these settings; the others are added to the ring.
	Backends []FileBackend `yaml:"backends"`
	// TenantHeader is used when --tenant-header is not given.
	TenantHeader string `yaml:"tenant_header,omitempty"`
	// FilePolicy: relabel_configs and tenant_limits (relabel.go).
	FilePolicy `yaml:",inline"`
}

// FileBackend is one backend of the file. Secrets in it (basic_auth
// password, authorization credentials, oauth2 client secret) are
// promconfig.Secret values: they print as <secret>.
type FileBackend struct {
	// URL is the remote-write URL. It may carry credentials; it is only
	// ever printed redacted.
	URL string `yaml:"url"`
	// Protocol is v1 (the default) or v2 (remote-write 2.0).
	Protocol string `yaml:"protocol,omitempty"`
	// RemoteTimeout bounds one request; 0 means --remote_write_timeout.
	RemoteTimeout model.Duration `yaml:"remote_timeout,omitempty"`
	// Headers are added to every request to this backend.
	Headers map[string]string `yaml:"headers,omitempty"`
	// HTTPClientConfig is Prometheus' client configuration, inline:
	// basic_auth, authorization, oauth2, tls_config, proxy_url, ...
	HTTPClientConfig promconfig.HTTPClientConfig `yaml:",inline"`
	// BackendPolicy: write_relabel_configs and the send-rate cap (relabel.go).
	BackendPolicy `yaml:",inline"`
}

// UnmarshalYAML applies Prometheus' client defaults (follow redirects,
// HTTP/2) before decoding, as Prometheus' remote_write section does.
func (b *FileBackend) UnmarshalYAML(unmarshal func(any) error) error {
	*b = FileBackend{HTTPClientConfig: promconfig.DefaultHTTPClientConfig}
	type plain FileBackend
	return unmarshal((*plain)(b))
}

// reservedHeaders cannot be set in headers: prws sets them itself, or
// they belong to basic_auth / authorization.
var reservedHeaders = [...]string{
	"Authorization", "Content-Encoding", "Content-Length", "Content-Type", "Host",
	"User-Agent", "X-Prometheus-Remote-Write-Version",
}

// LoadFile reads and validates the config file at path. Relative file
// names inside it (password_file, ca_file, ...) are resolved against the
// file's directory. Errors wrap ErrInvalid, name the backend (redacted)
// and the field, and never contain a secret.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: --config.file: %w", ErrInvalid, err)
	}
	f, err := ParseFile(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("--config.file %s: %w", path, err)
	}
	return f, nil
}

// ParseFile parses and validates a config document; dir resolves
// relative file names. Unknown fields are errors.
func ParseFile(data []byte, dir string) (*File, error) {
	var f File
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, invalid("%s", scrubYAMLError(err))
	}
	seen := map[string]string{}
	for i := range f.Backends {
		b := &f.Backends[i]
		if err := b.validate(i, dir); err != nil {
			return nil, err
		}
		id, _ := router.BackendID(b.URL)
		name := redact.URL(b.URL)
		if prev, dup := seen[id]; dup {
			return nil, invalid("backends: %s and %s are the same backend", prev, name)
		}
		seen[id] = name
	}
	if h := f.TenantHeader; h != "" && !validHeaderName(h) {
		return nil, invalid("tenant_header: %q is not a valid header name", h)
	}
	if err := f.FilePolicy.validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// validate checks one backend; i is its position, for messages.
func (b *FileBackend) validate(i int, dir string) error {
	if b.URL == "" {
		return invalid("backends[%d]: url is required", i)
	}
	name := redact.URL(b.URL)
	if _, err := router.BackendID(b.URL); err != nil {
		return invalid("backend %s: url: %v", name, redact.InText(err.Error(), b.URL))
	}
	switch b.Protocol {
	case "", "v1", "v2":
	default:
		return invalid("backend %s: protocol must be v1 or v2, got %q", name, b.Protocol)
	}
	if b.RemoteTimeout < 0 {
		return invalid("backend %s: remote_timeout must not be negative", name)
	}
	for k := range b.Headers {
		if !validHeaderName(k) {
			return invalid("backend %s: headers: %q is not a valid header name", name, k)
		}
		for _, r := range reservedHeaders {
			if http.CanonicalHeaderKey(k) == r {
				return invalid("backend %s: headers: %s is set by prws or by basic_auth/authorization, not here", name, r)
			}
		}
	}
	if err := b.BackendPolicy.validate(name); err != nil {
		return err
	}
	b.HTTPClientConfig.SetDirectory(dir)
	if err := b.HTTPClientConfig.Validate(); err != nil {
		return invalid("backend %s: %v", name, err)
	}
	return nil
}

// validHeaderName reports whether s is an HTTP token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c) {
			return false
		}
	}
	return true
}

// scrubYAMLError returns err's text; YAML errors quote offending values,
// which may be a secret, so quoted values are cut out.
func scrubYAMLError(err error) string {
	msg := err.Error()
	var out strings.Builder
	for {
		i := strings.Index(msg, "`")
		if i < 0 {
			out.WriteString(msg)
			return out.String()
		}
		j := strings.Index(msg[i+1:], "`")
		if j < 0 {
			out.WriteString(msg)
			return out.String()
		}
		out.WriteString(msg[:i] + "<value>")
		msg = msg[i+1+j+1:]
	}
}
