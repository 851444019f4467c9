package adminapi

import "github.com/prws/prws/limiter"

// LimiterStatus is the answer of GET /api/v1/limiter and what `prws
// limiter` shows. Enabled is false when no limit is configured (daemon)
// or no window was ever persisted (data dir).
type LimiterStatus struct {
	Enabled bool   `json:"enabled"`
	Source  string `json:"source"` // "daemon" or "data-dir"
	limiter.Status
}
