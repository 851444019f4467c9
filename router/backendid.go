package router

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/prws/prws/internal/redact"
)

// ErrBadURL is returned by BackendID for a URL that cannot name a
// remote-write backend. The wrapping error never echoes the URL itself,
// which may carry credentials.
var ErrBadURL = errors.New("invalid backend URL")

// idHexLen is the width of a backend id in hex characters (64 bits).
const idHexLen = 16

// BackendID returns the stable identity of a backend remote-write URL:
// the same for URLs that differ only in credentials, fixed-width, usable
// as a directory name.
//
// The URL must be absolute with scheme http or https and a host. It is
// normalized (scheme and host lowercased, userinfo and fragment dropped,
// :80 for http and :443 for https dropped, path and query kept as given)
// and the id is the first 16 hex characters of the SHA-256 of that form.
func BackendID(rawURL string) (string, error) {
	norm, err := NormalizeURL(rawURL)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:])[:idHexLen], nil
}

// NormalizeURL returns the normalized form of a backend URL that BackendID
// hashes. It keeps the query, so the result may hold secrets: pass it
// through redact.URL before showing it. Errors wrap ErrBadURL.
func NormalizeURL(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("%w: %s cannot be parsed", ErrBadURL, redact.URL(rawURL))
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("%w: %s: scheme must be http or https", ErrBadURL, redact.URL(rawURL))
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return "", fmt.Errorf("%w: %s: no host", ErrBadURL, redact.URL(rawURL))
	}
	n := url.URL{
		Scheme:   scheme,
		Host:     normalHost(scheme, u),
		Path:     u.Path,
		RawPath:  u.RawPath,
		RawQuery: u.RawQuery,
	}
	return n.String(), nil
}

// normalHost lowercases the host and drops the default port of scheme.
func normalHost(scheme string, u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		return net.JoinHostPort(host, port)
	}
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}
