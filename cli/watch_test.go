package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/prws/prws/adminapi"
)

func TestWatchProgressRateAndETA(t *testing.T) {
	w := NewWatch()
	t0 := time.Unix(1_700_000_000, 0)
	// SendRate is the backend's, on each of its shards: the watch shows
	// it once (50/s, as prws queues does), never summed over the shards.
	snap := func(p0, p1 uint64) []adminapi.QueueStatus {
		return []adminapi.QueueStatus{
			{Backend: "a", BackendID: "a", Shard: 0, PendingSamples: p0, Configured: true, Up: true, Routed: true, Source: "daemon", SendRate: 50},
			{Backend: "a", BackendID: "a", Shard: 1, PendingSamples: p1, Configured: true, Up: true, Routed: true, Source: "daemon", SendRate: 50},
		}
	}
	rows := w.Update(snap(600, 400), t0)
	if len(rows) != 1 || rows[0].Pending != 1000 || rows[0].Shards != 2 || rows[0].SendRate != 50 || rows[0].ETA != -1 {
		t.Fatalf("first frame %+v", rows)
	}
	rows = w.Update(snap(300, 200), t0.Add(time.Second))
	r := rows[0]
	if r.Progress() != 0.5 || r.DrainRate != 250 || r.ETA != 2 {
		t.Errorf("second frame: progress %v, drain %v, eta %v", r.Progress(), r.DrainRate, r.ETA)
	}
	rows = w.Update(snap(600, 600), t0.Add(2*time.Second))
	if rows[0].DrainRate >= 0 || rows[0].ETA != -1 || rows[0].Peak != 1200 {
		t.Errorf("growing backlog: %+v", rows[0])
	}
	var buf bytes.Buffer
	WriteWatchFrame(&buf, "daemon", rows, t0)
	if !strings.Contains(buf.String(), "growing") || !strings.Contains(buf.String(), "[....") {
		t.Errorf("frame:\n%s", buf.String())
	}
}

func TestBar(t *testing.T) {
	for p, want := range map[float64]string{0: "[....]", 0.5: "[##..]", 1: "[####]", 2: "[####]", -1: "[....]"} {
		if got := Bar(p, 4); got != want {
			t.Errorf("Bar(%v) = %s, want %s", p, got, want)
		}
	}
}
