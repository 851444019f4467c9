package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prws/prws/adminapi"
)

func failingBackend(now time.Time) []adminapi.QueueStatus {
	base := adminapi.QueueStatus{Backend: "http://b/api/v1/write", BackendID: "b", Configured: true, Routed: true, Source: "daemon",
		Up: false, LastError: "HTTP 404 Not Found: 404 page not found", LastErrorTime: now.Add(-30 * time.Second),
		LastSuccessTime: now.Add(-time.Hour), SendRate: 12, DrainETA: 40, DeadLetters: 7}
	s0, s1 := base, base
	s0.Shard, s0.PendingSamples = 0, 300
	s1.Shard, s1.PendingSamples = 1, 200
	return []adminapi.QueueStatus{s0, s1}
}

// TestFailingBackendShowsAsFailing: state failing, the error with its
// age, no drain ETA, in the table, the watch and the JSON.
func TestFailingBackendShowsAsFailing(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	qs := failingBackend(now)
	var buf bytes.Buffer
	WriteQueuesTable(&buf, qs, now)
	out := buf.String()
	if !strings.Contains(out, "failing") || !strings.Contains(out, "30s ago: HTTP 404") || strings.Contains(out, "40s") {
		t.Errorf("table:\n%s", out)
	}
	rows := NewWatch().Update(qs, now)
	if rows[0].State != "failing" || rows[0].ETA != -1 || rows[0].SendRate != 12 || !strings.Contains(rows[0].LastError, "30s ago") {
		t.Errorf("watch row %+v", rows[0])
	}
	v := adminapi.GroupQueues(qs)
	b := v.Backends[0]
	if len(v.Backends) != 1 || b.State != "failing" || b.DrainETA != -1 || b.Recovered || b.PendingSamples != 500 || len(b.Shards) != 2 {
		t.Errorf("grouped %+v", v)
	}
}

// TestRecoveredErrorIsHistory: a success after the last error marks the
// error as history.
func TestRecoveredErrorIsHistory(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	qs := failingBackend(now)
	for i := range qs {
		qs[i].Up, qs[i].LastSuccessTime = true, now.Add(-5*time.Second)
	}
	var buf bytes.Buffer
	WriteQueuesTable(&buf, qs, now)
	if out := buf.String(); !strings.Contains(out, "(recovered since) 30s ago: HTTP 404") || !strings.Contains(out, " up ") {
		t.Errorf("table:\n%s", out)
	}
	if b := adminapi.GroupQueues(qs).Backends[0]; !b.Recovered || b.State != "up" || b.DrainETA != 40 {
		t.Errorf("grouped %+v", b)
	}
}

// TestQueuesJSONNamesBackendFiguresOnce: per-backend figures appear once
// per backend, never on the shard records.
func TestQueuesJSONNamesBackendFiguresOnce(t *testing.T) {
	var buf bytes.Buffer
	adminapi.WriteJSON(&buf, adminapi.GroupQueues(failingBackend(time.Unix(1_700_000_000, 0))))
	var raw struct {
		Backends []struct {
			Shards []map[string]any `json:"shards"`
		} `json:"backends"`
	}
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, sh := range raw.Backends[0].Shards {
		for _, k := range []string{"send_rate", "drain_eta_seconds", "dead_letters", "last_error", "up", "state"} {
			if _, ok := sh[k]; ok {
				t.Errorf("shard record repeats the backend's %s: %v", k, sh)
			}
		}
	}
	if n := strings.Count(buf.String(), `"send_rate"`); n != 1 {
		t.Errorf("send_rate appears %d times:\n%s", n, buf.String())
	}
}
