package dataops

import (
	"fmt"
	"path/filepath"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/queue"
)

// QueuesFromDataDir computes the queue view of a stopped daemon's data
// dir without modifying it. configured lists the backend ids currently in
// --promes, if known (nil: unknown, every queue reported as configured).
func QueuesFromDataDir(data string, configured map[string]bool) ([]adminapi.QueueStatus, error) {
	ids, err := datadir.Backends(data)
	if err != nil {
		return nil, err
	}
	var out []adminapi.QueueStatus
	for _, id := range ids {
		qs, err := backendQueues(data, id, configured)
		if err != nil {
			return nil, err
		}
		out = append(out, qs...)
	}
	return out, nil
}

func backendQueues(data, id string, configured map[string]bool) ([]adminapi.QueueStatus, error) {
	info, err := datadir.ReadBackendInfo(data, id)
	name := info.URL
	if err != nil {
		name = "(unknown: " + err.Error() + ")"
	}
	shards, err := datadir.Shards(data, id)
	if err != nil {
		return nil, err
	}
	dead := deadLetters(data, id)
	var out []adminapi.QueueStatus
	for _, s := range shards {
		st, err := queue.Inspect(datadir.QueueDir(data, id, s))
		if err != nil {
			return nil, fmt.Errorf("queue %s/%04d: %w", id, s, err)
		}
		qs := FromStats(st)
		qs.Backend, qs.BackendID, qs.Shard, qs.DeadLetters = name, id, s, dead
		qs.Configured = configured == nil || configured[id]
		qs.Routed = qs.Configured && s < info.Shards
		qs.DrainETA = -1
		qs.Source = "data-dir"
		out = append(out, qs)
	}
	return out, nil
}

// FromStats fills the queue fields of a QueueStatus.
func FromStats(st queue.Stats) adminapi.QueueStatus {
	return adminapi.QueueStatus{
		PendingRecords: st.PendingRecords, PendingSamples: st.PendingSamples,
		PendingBytes: st.PendingBytes, Segments: st.Segments,
		OldestPending: st.OldestPending, Corrupt: st.Corrupt,
	}
}

// deadLetters counts the dead-letter batches of a backend; 0 when none
// or unreadable (the listing command reports read errors itself).
func deadLetters(data, id string) int {
	names, _ := filepath.Glob(filepath.Join(datadir.DeadLetterDir(data, id), "*.dl"))
	return len(names)
}
