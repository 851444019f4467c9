package redact

import (
	"net/url"
	"strings"
)

// redacted replaces secrets in the output of URL, as url.URL.Redacted does.
const redacted = "xxxxx"

// unparseable is what URL returns for input it cannot parse; the input
// itself is never echoed because it may be a secret.
const unparseable = "<unparseable url>"

// URL returns rawURL safe for logs, metrics, errors, the admin API and
// the data dir: the password is replaced by "xxxxx" (url.URL.Redacted
// semantics), and so is the value of every query parameter whose name
// SecretName flags. The order and spelling of the other query parameters
// is kept. For input that does not parse as a URL it returns
// "<unparseable url>".
func URL(rawURL string) string {
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
		if hasValue && secretParam(name) {
			parts[i] = name + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

// secretParam is SecretName of a query parameter name as written in a
// raw query (percent-encoded or not).
func secretParam(rawName string) bool {
	name, err := url.QueryUnescape(rawName)
	if err != nil {
		name = rawName
	}
	return SecretName(name)
}

// SecretName reports whether a query parameter or header name suggests a
// secret value: it contains token, key, password, secret, auth, signature
// or cookie, in any case.
func SecretName(name string) bool {
	n := strings.ToLower(name)
	for _, hint := range [...]string{"token", "key", "password", "secret", "auth", "signature", "cookie"} {
		if strings.Contains(n, hint) {
			return true
		}
	}
	return false
}

// InText returns msg with every occurrence of rawURL replaced by
// URL(rawURL): for error texts (a parser's, a client's) that quote the
// URL they were given.
func InText(msg, rawURL string) string {
	if rawURL == "" {
		return msg
	}
	return strings.ReplaceAll(msg, rawURL, URL(rawURL))
}
