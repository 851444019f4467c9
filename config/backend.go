package config

import (
	"net/http"
	"reflect"
	"time"

	promconfig "github.com/prometheus/common/config"
	"github.com/prometheus/prometheus/model/relabel"

	"github.com/prws/prws/internal/redact"
	"github.com/prws/prws/router"
)

// Protocols of a backend.
const (
	ProtocolV1 = "v1" // remote-write 1.0 (prometheus.WriteRequest)
	ProtocolV2 = "v2" // remote-write 2.0 (io.prometheus.write.v2.Request)
)

// Backend is one configured backend as the daemon sees it: identity
// from its URL, connection settings from --config.file when the file
// names it. Backends are values; the daemon never mutates one.
type Backend struct {
	ID   string // router.BackendID of URL
	URL  string // as configured, credentials included: never log it
	Name string // redacted URL, for logs, metrics and the API

	// Protocol is ProtocolV1 or ProtocolV2.
	Protocol string
	// Timeout bounds one request; 0 means Config.RemoteTimeout.
	Timeout time.Duration
	// Headers are added to every request; nil when none.
	Headers map[string]string
	// HTTP is the backend's client configuration from the file; nil for
	// a backend named only by --promes (the replay default client).
	HTTP *promconfig.HTTPClientConfig

	// Relabel are the backend's write_relabel_configs, applied at ingest
	// to the series routed to it; nil: none. A reload that changes them
	// applies to new data only.
	Relabel []*relabel.Config
	// SendLimit caps replay's send rate to the backend (all shards).
	SendLimit SendLimit
}

// NewClient builds the backend's HTTP client from HTTP, or returns nil
// (use the default client) when the backend has no client settings. The
// client reads password and credentials files on every request and
// reloads the CA file when it changes.
func (b Backend) NewClient() (*http.Client, error) {
	if b.HTTP == nil {
		return nil, nil
	}
	c, err := promconfig.NewClientFromConfig(*b.HTTP, "prws")
	if err != nil {
		return nil, invalid("backend %s: %v", b.Name, err)
	}
	return c, nil
}

// SameConnection reports whether b and o send the same requests the same
// way: URL, protocol, timeout, headers and client settings. Files the
// settings name are not compared (the client re-reads them itself).
func (b Backend) SameConnection(o Backend) bool {
	return b.URL == o.URL && b.Protocol == o.Protocol && b.Timeout == o.Timeout &&
		reflect.DeepEqual(b.Headers, o.Headers) && reflect.DeepEqual(b.HTTP, o.HTTP)
}

// flagBackend is a backend named by --promes only.
func flagBackend(u string) (Backend, error) {
	id, err := router.BackendID(u)
	if err != nil {
		return Backend{}, invalid("--promes: backend %s: %v", redact.URL(u), redact.InText(err.Error(), u))
	}
	return Backend{ID: id, URL: u, Name: redact.URL(u), Protocol: ProtocolV1}, nil
}

// apply sets b's connection settings from the file backend f.
func (b *Backend) apply(f FileBackend) {
	b.URL = f.URL
	b.Name = redact.URL(f.URL)
	b.Protocol = f.Protocol
	if b.Protocol == "" {
		b.Protocol = ProtocolV1
	}
	b.Timeout = time.Duration(f.RemoteTimeout)
	if len(f.Headers) > 0 {
		b.Headers = make(map[string]string, len(f.Headers))
		for k, v := range f.Headers {
			b.Headers[http.CanonicalHeaderKey(k)] = v
		}
	}
	hc := f.HTTPClientConfig
	b.HTTP = &hc
}

// merge combines the --promes backends with the file's, by identity:
// --promes order first, then the backends only the file names, in file
// order. A backend in both takes its connection settings (URL included)
// from the file.
func merge(flags []string, file *File) ([]Backend, error) {
	seen := make(map[string]int, len(flags))
	out := make([]Backend, 0, len(flags))
	for _, u := range flags {
		b, err := flagBackend(u)
		if err != nil {
			return nil, err
		}
		if i, dup := seen[b.ID]; dup {
			return nil, invalid("--promes: %s and %s are the same backend", out[i].Name, b.Name)
		}
		seen[b.ID] = len(out)
		out = append(out, b)
	}
	if file == nil {
		return out, nil
	}
	for _, f := range file.Backends {
		id, _ := router.BackendID(f.URL) // checked by ParseFile
		i, ok := seen[id]
		if !ok {
			i = len(out)
			seen[id] = i
			out = append(out, Backend{ID: id})
		}
		out[i].apply(f)
	}
	return out, nil
}
