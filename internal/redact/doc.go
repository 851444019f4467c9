// Package redact is prws' one policy for keeping secrets out of logs,
// metrics, errors, the admin API and the data dir.
//
// URL is the only redaction of a URL: the password and the values of
// secret-looking query parameters (SecretName) become "xxxxx", nothing
// else changes, and unparseable input is never echoed. InText applies it
// to a URL quoted in an error message. Scrubber handles what a URL
// redaction cannot: secrets known from the configuration (passwords,
// tokens, secret headers) that turn up in free text such as a backend's
// answer, replaced by "<secret>"; NewHandler applies a Scrubber to every
// log record. Which strings of a backend's configuration are secret is
// decided by the daemon (daemon/secrets.go) with SecretName.
//
// Everything here is safe for concurrent use and keeps no global state.
package redact
