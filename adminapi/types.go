package adminapi

import "time"

// QueueStatus is one (backend, shard) queue as `prws queues` shows it.
type QueueStatus struct {
	Backend    string `json:"backend"`    // redacted URL
	BackendID  string `json:"backend_id"` // directory name under queues/
	Shard      int    `json:"shard"`
	Configured bool   `json:"configured"` // the backend is in --promes
	Routed     bool   `json:"routed"`     // the shard receives new data

	PendingRecords uint64    `json:"pending_records"`
	PendingSamples uint64    `json:"pending_samples"`
	PendingBytes   int64     `json:"pending_bytes"`
	Segments       int       `json:"segments"`
	OldestPending  time.Time `json:"oldest_pending,omitzero"`
	Corrupt        uint64    `json:"corrupt_records"`

	// The fields below are the backend's, the same on each of its
	// shards (BackendQueues groups them once per backend).
	Up              bool      `json:"up"`
	LastError       string    `json:"last_error,omitempty"`
	LastErrorTime   time.Time `json:"last_error_time,omitzero"`
	LastSuccessTime time.Time `json:"last_success_time,omitzero"`
	SendRate        float64   `json:"send_rate"`         // samples/s, moving average, the backend's (all shards)
	DrainETA        float64   `json:"drain_eta_seconds"` // the backend's whole backlog at SendRate; -1: not draining or down
	DeadLetters     int       `json:"dead_letters"`      // batches, per backend
	Source          string    `json:"source"`            // "daemon" or "data-dir"
	// SendLimit is the backend's send-rate cap in samples/s (all shards);
	// 0: unlimited or unknown (a stopped data dir).
	SendLimit float64 `json:"send_limit_samples_per_second,omitempty"`
}

// Status is the answer of /api/v1/status.
type Status struct {
	Version       string    `json:"version"`
	Started       time.Time `json:"started"`
	Ready         bool      `json:"ready"`
	Backends      []string  `json:"backends"` // redacted, --promes order
	Shards        int       `json:"shards"`
	ShardKey      string    `json:"shard_key"`
	ReplicaFactor int       `json:"replica_factor"`
	DataDir       string    `json:"data_dir"`
}

// ETA returns the drain time in seconds for pending samples at rate, or
// -1 when nothing is pending or nothing is being sent.
func ETA(pending uint64, rate float64) float64 {
	if pending == 0 {
		return 0
	}
	if rate <= 0 {
		return -1
	}
	return float64(pending) / rate
}
