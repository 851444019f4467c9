package daemon

import (
	"encoding/base64"
	"net/url"
	"os"
	"strings"

	promconfig "github.com/prometheus/common/config"

	"github.com/prws/prws/config"
	"github.com/prws/prws/internal/redact"
)

// backendsSecrets lists the secret strings of bs, for the daemon's
// redact.Scrubber: URL passwords and secret query values, basic-auth
// passwords, bearer and oauth2 credentials, inline or read from their
// files, secret-looking headers.
func backendsSecrets(bs []config.Backend) []string {
	var out []string
	for _, b := range bs {
		out = append(out, backendSecrets(b)...)
	}
	return out
}

// backendSecrets lists the secret strings of b.
func backendSecrets(b config.Backend) []string {
	out := urlSecrets(b.URL)
	for k, v := range b.Headers {
		if redact.SecretName(k) {
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
	if redact.URL(raw) != raw {
		out = append(out, raw)
	}
	if pw, ok := u.User.Password(); ok {
		out = append(out, pw, url.QueryEscape(pw), basicToken(u.User.Username(), pw))
	}
	for k, vs := range u.Query() {
		if redact.SecretName(k) {
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
