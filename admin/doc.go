// Package admin is prws's admin JSON API and its client: the shapes
// served under /api/v1/ by a running daemon, the same shapes computed from
// the data dir of a stopped one, and their rendering for the CLI.
//
// Everything here is read-only with respect to the data dir. URLs are
// always redacted before they reach a response.
package admin
