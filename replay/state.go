package replay

import (
	"sync"
	"sync/atomic"
	"time"
)

// rateInterval and rateAlpha shape the send-rate EWMA: a new measurement
// every 5 s, weighted 20 %.
const (
	rateInterval = 5 * time.Second
	rateAlpha    = 0.2
)

// BackendState is the health of one backend, shared by its shard
// workers. Safe for concurrent use.
type BackendState struct {
	name string
	up   atomic.Bool

	mu          sync.Mutex // guards every field below
	failures    int        // consecutive failed attempts, any shard
	lastErr     string     // redacted
	lastErrTime time.Time
	lastSuccess time.Time
	rate        ewmaRate // delivered samples per second
}

// Status is a snapshot of a BackendState for the admin API and
// `prws queues`.
type Status struct {
	Backend             string    `json:"backend"`
	Up                  bool      `json:"up"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	LastError           string    `json:"last_error,omitempty"`
	LastErrorTime       time.Time `json:"last_error_time,omitzero"`
	LastSuccessTime     time.Time `json:"last_success_time,omitzero"`
	SendRate            float64   `json:"send_rate_samples_per_second"`
}

// NewBackendState returns the state of the backend called name (a
// redacted name, as Endpoint.Name). A backend starts up.
func NewBackendState(name string) *BackendState {
	s := &BackendState{name: name, rate: newEWMARate(rateAlpha, rateInterval)}
	s.up.Store(true)
	return s
}

// Up reports whether the backend is considered healthy. Lock-free.
func (s *BackendState) Up() bool { return s.up.Load() }

// Status returns a snapshot as of now.
func (s *BackendState) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Status{
		Backend: s.name, Up: s.up.Load(), ConsecutiveFailures: s.failures,
		LastError: s.lastErr, LastErrorTime: s.lastErrTime,
		LastSuccessTime: s.lastSuccess, SendRate: s.rate.value(time.Now()),
	}
}

// recordSuccess notes an answer from the backend that delivered samples
// (0 for a dead letter: the backend is reachable) and reports whether the
// backend came back up.
func (s *BackendState) recordSuccess(samples int, now time.Time) (cameUp bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = 0
	s.lastSuccess = now
	s.rate.add(int64(samples), now)
	return s.up.CompareAndSwap(false, true)
}

// recordFailure notes a failed attempt with its redacted message and
// reports whether the backend just went down: after retryTimes
// consecutive failures, or at once when force (401/403).
func (s *BackendState) recordFailure(msg string, now time.Time, retryTimes int, force bool) (wentDown bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures++
	s.lastErr, s.lastErrTime = msg, now
	s.rate.advance(now)
	if force || s.failures >= retryTimes {
		return s.up.CompareAndSwap(true, false)
	}
	return false
}
