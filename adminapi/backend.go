package adminapi

import (
	"fmt"
	"strings"

	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/internal/redact"
	"github.com/prws/prws/router"
)

// BackendRef names a backend: its id (directory name) and redacted URL.
type BackendRef struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// ResolveBackend finds arg among refs. arg may be a backend id, the
// redacted URL as prws shows it, or any spelling of the URL (with
// credentials, another case, a default port) that has the same id.
func ResolveBackend(arg string, refs []BackendRef) (BackendRef, error) {
	id, idErr := router.BackendID(arg)
	for _, r := range refs {
		if r.ID == arg || r.URL == arg || (idErr == nil && r.ID == id) {
			return r, nil
		}
	}
	known := make([]string, len(refs))
	for i, r := range refs {
		known[i] = r.ID + " " + r.URL
	}
	return BackendRef{}, fmt.Errorf("no backend %s; known: %s", redact.URL(arg), strings.Join(known, ", "))
}

// Loss is what dropping a backend deletes (`prws queues drop` shows it
// before asking).
type Loss struct {
	Backend        BackendRef       `json:"backend"`
	Queues         []QueueStatus    `json:"queues"`
	PendingSamples uint64           `json:"pending_samples"`
	PendingBytes   int64            `json:"pending_bytes"`
	DeadLetters    deadletter.Stats `json:"dead_letters"`
}
