package watchdog

import "time"

// BackendStatus is the watchdog's view of one backend, for the admin API.
type BackendStatus struct {
	Name string `json:"name"`
	// Healthy is the watchdog's own verdict.
	Healthy bool `json:"healthy"`
	// Member is what Up answers: Healthy, or true when all are down.
	Member               bool      `json:"member"`
	ConsecutiveFailures  int       `json:"consecutive_failures"`
	ConsecutiveSuccesses int       `json:"consecutive_successes"`
	LastError            string    `json:"last_error,omitempty"`
	Since                time.Time `json:"since,omitzero"` // last transition
}

// Status returns a snapshot of every backend, in target order. The
// caller owns the returned slice. Safe for concurrent use.
func (w *Watchdog) Status() []BackendStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]BackendStatus, len(w.backends))
	for i := range w.backends {
		b := &w.backends[i]
		out[i] = BackendStatus{
			Name: b.name, Healthy: b.healthy, Member: w.Up(i),
			ConsecutiveFailures: b.fails, ConsecutiveSuccesses: b.goods,
			LastError: b.lastErr, Since: b.since,
		}
	}
	return out
}
