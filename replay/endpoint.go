package replay

import (
	"net/http"
	"time"

	"github.com/prws/prws/internal/redact"
)

// DefaultTimeout is the per-request timeout (--remote_write_timeout).
const DefaultTimeout = 5 * time.Second

// Endpoint is one backend's remote-write receiver. Several workers (one
// per shard) may share an Endpoint; NewWorker copies it and never writes
// to it.
type Endpoint struct {
	// Name identifies the backend in logs, metrics and Status. It must
	// not contain credentials. Default redact.URL(URL).
	Name string
	// URL is the remote-write URL, credentials included if any.
	URL string
	// Client sends the requests. Default: a client of the worker's own,
	// with its own connection pool and Timeout, whose idle connections
	// are closed by Stop.
	Client *http.Client
	// Timeout bounds one request, body read included. Default
	// DefaultTimeout (5 s).
	Timeout time.Duration
	// Headers are added to every request. They cannot override the
	// remote-write protocol headers.
	Headers map[string]string
	// UserAgent is sent as User-Agent. Default "prws".
	UserAgent string
	// Protocol is the remote-write version the backend is sent:
	// ProtocolV1 (the default, also for "") or ProtocolV2. For
	// ProtocolV2 each batch is converted once, before its first attempt,
	// so retries stay byte-identical. A backend that answers 415 to a
	// 2.0 request, or 2xx without any X-Prometheus-Remote-Write-*-Written
	// header (a 1.0 receiver that read the 2.0 body as an empty 1.0
	// request), is sent 1.0 from then on by that worker, logged once; the
	// batch is resent as 1.0 at once. Any other value makes every send
	// fail (retried) with an error naming it; check with ParseProtocol.
	Protocol Protocol

	// wire is the worker's protocol state, set by withDefaults on the
	// worker's private copy only; nil in the caller's Endpoint.
	wire *wireState
}

// withDefaults returns a copy of e with defaults applied and whether the
// client is owned by the copy.
func (e *Endpoint) withDefaults() (Endpoint, bool) {
	c := *e
	if c.Name == "" {
		c.Name = redact.URL(c.URL)
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.UserAgent == "" {
		c.UserAgent = "prws"
	}
	c.wire = newWireState(c.Protocol)
	if c.Client != nil {
		return c, false
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	c.Client = &http.Client{Transport: tr, Timeout: c.Timeout}
	return c, true
}
