package daemon

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	promconfig "github.com/prometheus/common/config"

	"github.com/prws/prws/config"
	"github.com/prws/prws/router"
)

// secretMark replaces every known secret in logs and API output.
const secretMark = "<secret>"

// minSecretLen: shorter strings are not scrubbed (they would garble
// unrelated text and protect nothing).
const minSecretLen = 3

// scrubber replaces the secrets of every backend configured during the
// process's life (URL passwords and secret query values, basic-auth
// passwords, bearer and oauth2 credentials, inline or read from their
// files, secret-looking headers) in text bound for logs, errors and the
// admin API. Backend answers often echo request headers; this is what
// keeps them out of the output. Safe for concurrent use.
type scrubber struct {
	mu      sync.Mutex // serialises add
	secrets map[string]bool
	rep     atomic.Pointer[strings.Replacer]
}

func newScrubber() *scrubber {
	s := &scrubber{secrets: map[string]bool{}}
	s.rep.Store(strings.NewReplacer())
	return s
}

// add learns the secrets of bs; secrets are never forgotten, so text
// from workers of a removed backend stays scrubbed too.
func (s *scrubber) add(bs []config.Backend) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range bs {
		for _, v := range backendSecrets(b) {
			if len(v) >= minSecretLen {
				s.secrets[v] = true
			}
		}
	}
	pairs := make([]string, 0, 2*len(s.secrets))
	for v := range s.secrets {
		pairs = append(pairs, v, secretMark)
	}
	s.rep.Store(strings.NewReplacer(pairs...))
}

// scrub returns text with every known secret replaced.
func (s *scrubber) scrub(text string) string { return s.rep.Load().Replace(text) }

// backendSecrets lists the secret strings of b.
func backendSecrets(b config.Backend) []string {
	out := urlSecrets(b.URL)
	for k, v := range b.Headers {
		if secretName(k) {
			out = append(out, v)
		}
	}
	if b.HTTP != nil {
		out = append(out, clientSecrets(b.HTTP)...)
	}
	return out
}

// urlSecrets are the raw URL, its password (also as a basic-auth header
// value) and the values of secret-looking query parameters.
func urlSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil // never a backend URL: config rejects it
	}
	var out []string
	if router.Redact(raw) != raw {
		out = append(out, raw)
	}
	if pw, ok := u.User.Password(); ok {
		out = append(out, pw, url.QueryEscape(pw), basicToken(u.User.Username(), pw))
	}
	for k, vs := range u.Query() {
		if secretName(k) {
			out = append(out, vs...)
		}
	}
	return out
}

// clientSecrets are the secrets of a Prometheus client configuration.
func clientSecrets(c *promconfig.HTTPClientConfig) []string {
	var out []string
	if a := c.BasicAuth; a != nil {
		pw := fileOr(string(a.Password), a.PasswordFile)
		out = append(out, pw, basicToken(fileOr(a.Username, a.UsernameFile), pw))
	}
	if a := c.Authorization; a != nil {
		out = append(out, fileOr(string(a.Credentials), a.CredentialsFile))
	}
	out = append(out, string(c.BearerToken), fileOr("", c.BearerTokenFile))
	if o := c.OAuth2; o != nil {
		out = append(out, fileOr(string(o.ClientSecret), o.ClientSecretFile))
	}
	if c.HTTPHeaders != nil {
		for _, h := range c.HTTPHeaders.Headers {
			for _, v := range h.Secrets {
				out = append(out, string(v))
			}
			for _, f := range h.Files {
				out = append(out, fileOr("", f))
			}
		}
	}
	if u := c.ProxyURL.URL; u != nil {
		out = append(out, urlSecrets(u.String())...)
	}
	return out
}

// fileOr returns inline, or the trimmed content of file when set (""
// when it cannot be read: the client will fail and say so).
func fileOr(inline, file string) string {
	if file == "" {
		return inline
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func basicToken(user, pw string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pw))
}

// secretName reports whether a header or query parameter name suggests
// a secret value.
func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, hint := range [...]string{"token", "key", "password", "secret", "auth", "signature", "cookie"} {
		if strings.Contains(n, hint) {
			return true
		}
	}
	return false
}

// scrubHandler is a slog.Handler that scrubs the message and every
// string-like attribute before passing the record on.
type scrubHandler struct {
	next slog.Handler
	s    *scrubber
}

func (h scrubHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h scrubHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.s.scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h scrubHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.attr(a)
	}
	return scrubHandler{next: h.next.WithAttrs(clean), s: h.s}
}

func (h scrubHandler) WithGroup(name string) slog.Handler {
	return scrubHandler{next: h.next.WithGroup(name), s: h.s}
}

// attr scrubs one attribute, recursing into groups.
func (h scrubHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, x := range g {
			clean[i] = h.attr(x)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindString:
		return slog.String(a.Key, h.s.scrub(v.String()))
	case slog.KindAny:
		text := fmt.Sprint(v.Any())
		if b, ok := v.Any().([]byte); ok {
			text = string(b)
		}
		if clean := h.s.scrub(text); clean != text {
			return slog.String(a.Key, clean)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
