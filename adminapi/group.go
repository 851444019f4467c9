package adminapi

import "time"

// QueuesView is what `prws queues --json` prints: one record per
// backend with the figures that are the backend's (state, last error,
// send rate, drain ETA, dead letters, totals), and under it one record
// per shard with the figures that are the shard's.
type QueuesView struct {
	Source   string          `json:"source"` // "daemon" or "data-dir"
	Backends []BackendQueues `json:"backends"`
}

// BackendQueues is one backend and its queues.
type BackendQueues struct {
	Backend    string `json:"backend"`    // redacted URL
	BackendID  string `json:"backend_id"` // directory name under queues/
	Configured bool   `json:"configured"`
	// State is what `prws queues` shows: up, failing (sends fail or are
	// refused: see last_error), draining (removed by a reload, still
	// sending), unconfigured, or stopped (read from a stopped data dir).
	State           string    `json:"state"`
	Up              bool      `json:"up"`
	LastError       string    `json:"last_error,omitempty"`
	LastErrorTime   time.Time `json:"last_error_time,omitzero"`
	LastSuccessTime time.Time `json:"last_success_time,omitzero"`
	// Recovered is true when a send succeeded after the last error: the
	// error is history, not the current state.
	Recovered      bool         `json:"recovered,omitempty"`
	SendRate       float64      `json:"send_rate"`         // samples/s, moving average
	DrainETA       float64      `json:"drain_eta_seconds"` // -1: not draining, down, or unknown
	DeadLetters    int          `json:"dead_letters"`
	PendingSamples uint64       `json:"pending_samples"` // sum over the shards
	PendingBytes   int64        `json:"pending_bytes"`   // sum over the shards
	OldestPending  time.Time    `json:"oldest_pending,omitzero"`
	Shards         []ShardQueue `json:"shards"`
}

// ShardQueue is one (backend, shard) queue's own figures.
type ShardQueue struct {
	Shard          int       `json:"shard"`
	Routed         bool      `json:"routed"` // receives new data
	PendingRecords uint64    `json:"pending_records"`
	PendingSamples uint64    `json:"pending_samples"`
	PendingBytes   int64     `json:"pending_bytes"`
	Segments       int       `json:"segments"`
	OldestPending  time.Time `json:"oldest_pending,omitzero"`
	Corrupt        uint64    `json:"corrupt_records"`
}

// GroupQueues groups per-shard records by backend, keeping their order.
func GroupQueues(qs []QueueStatus) QueuesView {
	v := QueuesView{Source: "data-dir", Backends: []BackendQueues{}}
	idx := map[string]int{}
	for _, q := range qs {
		v.Source = q.Source
		i, ok := idx[q.BackendID]
		if !ok {
			i = len(v.Backends)
			idx[q.BackendID] = i
			v.Backends = append(v.Backends, backendOf(q))
		}
		b := &v.Backends[i]
		b.PendingSamples += q.PendingSamples
		b.PendingBytes += q.PendingBytes
		b.OldestPending = earliest(b.OldestPending, q.OldestPending)
		b.Shards = append(b.Shards, ShardQueue{
			Shard: q.Shard, Routed: q.Routed, PendingRecords: q.PendingRecords, PendingSamples: q.PendingSamples,
			PendingBytes: q.PendingBytes, Segments: q.Segments, OldestPending: q.OldestPending, Corrupt: q.Corrupt,
		})
	}
	return v
}

func backendOf(q QueueStatus) BackendQueues {
	b := BackendQueues{
		Backend: q.Backend, BackendID: q.BackendID, Configured: q.Configured, State: State(q), Up: q.Up,
		LastError: q.LastError, LastErrorTime: q.LastErrorTime, LastSuccessTime: q.LastSuccessTime,
		Recovered: Recovered(q), SendRate: q.SendRate, DrainETA: q.DrainETA, DeadLetters: q.DeadLetters,
	}
	if !q.Up {
		b.DrainETA = -1
	}
	return b
}

// State is the state `prws queues` shows for q: unconfigured, stopped
// (read from a stopped data dir), failing, draining or up.
func State(q QueueStatus) string {
	switch {
	case !q.Configured:
		return "unconfigured"
	case q.Source == "data-dir":
		return "stopped"
	case !q.Up:
		return "failing"
	case !q.Routed:
		return "draining"
	default:
		return "up"
	}
}

// Recovered reports whether q's backend has sent successfully since its
// last error.
func Recovered(q QueueStatus) bool {
	return q.LastError != "" && q.Up && q.LastSuccessTime.After(q.LastErrorTime)
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
