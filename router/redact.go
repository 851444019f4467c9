package router

import (
	"net/url"
	"strings"
)

// redacted replaces secrets in the output of Redact, as url.URL.Redacted does.
const redacted = "xxxxx"

// unparseable is what Redact returns for input it cannot parse; the input
// itself is never echoed because it may be a secret.
const unparseable = "<unparseable url>"

// Redact returns rawURL safe for logs, metrics, errors and the state file:
// the password is replaced by "xxxxx" (url.URL.Redacted semantics), and so
// is the value of every query parameter whose name contains token, key,
// password, secret, auth or signature (case-insensitive). The order and
// spelling of the other query parameters is kept. For input that does not
// parse as a URL it returns "<unparseable url>".
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return unparseable
	}
	u.RawQuery = redactQuery(u.RawQuery)
	return u.Redacted()
}

// redactQuery replaces the values of secret-looking parameters in a raw
// query, keeping every other byte as it was.
func redactQuery(q string) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		name, _, hasValue := strings.Cut(p, "=")
		if hasValue && isSecretParam(name) {
			parts[i] = name + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

func isSecretParam(rawName string) bool {
	name, err := url.QueryUnescape(rawName)
	if err != nil {
		name = rawName
	}
	name = strings.ToLower(name)
	// Case-insensitive substrings of a parameter name that mark its value
	// as secret.
	for _, hint := range [...]string{"token", "key", "password", "secret", "auth", "signature"} {
		if strings.Contains(name, hint) {
			return true
		}
	}
	return false
}
