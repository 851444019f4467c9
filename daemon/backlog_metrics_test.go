package daemon

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/prws/prws/adminapi"
)

func TestBacklogCollector(t *testing.T) {
	oldest := time.UnixMilli(1_700_000_000_500)
	c := NewBacklogCollector(func() []adminapi.QueueStatus {
		return []adminapi.QueueStatus{
			{Backend: "http://a/w", Shard: 0, PendingSamples: 10, PendingBytes: 4096, OldestPending: oldest, DeadLetters: 2},
			{Backend: "http://a/w", Shard: 1, DeadLetters: 2},
		}
	}, 1<<30)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			got[mf.GetName()] = append(got[mf.GetName()], m.GetGauge().GetValue())
		}
	}
	want := map[string][]float64{
		"prws_queue_pending_samples":                  {10, 0},
		"prws_queue_pending_bytes":                    {4096, 0},
		"prws_queue_oldest_pending_timestamp_seconds": {1_700_000_000.5},
		"prws_deadletter_files":                       {2},
		"prws_queue_max_bytes":                        {1 << 30},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("gathered %v\nwant %v", got, want)
	}
}
