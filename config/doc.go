// Package config holds the daemon's settings as one validated struct.
//
// The command line (see main.go) fills a Config; Validate checks every
// setting once, before anything is opened, and derives what the other
// packages need (backend identities, parsed external labels). A Config is
// a plain value: no package-level state, safe to copy, never mutated by
// the components it is handed to.
package config
