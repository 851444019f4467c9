package redact

import (
	"strings"
	"sync"
	"sync/atomic"
)

// Mark replaces every known secret in text a Scrubber cleans.
const Mark = "<secret>"

// minSecretLen: shorter strings are not scrubbed (they would garble
// unrelated text and protect nothing).
const minSecretLen = 3

// Scrubber replaces known secret strings in free text bound for logs,
// errors and the admin API: a backend's answer often echoes the request
// headers it was sent, which no URL redaction can catch. Secrets are
// learnt with Add and never forgotten. Safe for concurrent use; Text
// never blocks on Add.
type Scrubber struct {
	mu      sync.Mutex // serialises Add and guards secrets
	secrets map[string]bool
	rep     atomic.Pointer[strings.Replacer] // replaced whole by Add
}

// NewScrubber returns a Scrubber that knows no secret yet.
func NewScrubber() *Scrubber {
	s := &Scrubber{secrets: map[string]bool{}}
	s.rep.Store(strings.NewReplacer())
	return s
}

// Add learns secrets; those shorter than three bytes are ignored.
func (s *Scrubber) Add(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range secrets {
		if len(v) >= minSecretLen {
			s.secrets[v] = true
		}
	}
	pairs := make([]string, 0, 2*len(s.secrets))
	for v := range s.secrets {
		pairs = append(pairs, v, Mark)
	}
	s.rep.Store(strings.NewReplacer(pairs...))
}

// Text returns text with every known secret replaced by Mark.
func (s *Scrubber) Text(text string) string { return s.rep.Load().Replace(text) }
