package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/config"
)

// deadLetters lists the dead letters through the command line.
func deadLetters(t *testing.T, data string) []adminapi.DeadLetter {
	t.Helper()
	var list []adminapi.DeadLetter
	if err := json.Unmarshal([]byte(mustRun(t, "deadletter", "list", "--data-dir", data, "--json")), &list); err != nil {
		t.Fatal(err)
	}
	return list
}

func TestDeadLetterAgainstRunningDaemon(t *testing.T) {
	data := t.TempDir()
	be := newBackend(t, 400)
	base, _ := startDaemon(t, data, nil, be)
	push(t, base, 10)
	eventually(t, "dead letters", func() bool {
		n := 0
		for _, d := range deadLetters(t, data) {
			n += d.Samples
		}
		return n == 10
	})
	list := deadLetters(t, data)
	if list[0].Status != 400 || !strings.Contains(list[0].Message, "out of bounds") {
		t.Errorf("dead letter %+v", list[0])
	}
	out := mustRun(t, "deadletter", "list", "--data-dir", data, "--backend", be.URL())
	if !strings.Contains(out, list[0].Name) || !strings.Contains(out, "out of bounds") {
		t.Errorf("list:\n%s", out)
	}
	out = mustRun(t, "deadletter", "show", "--data-dir", data, list[0].Name)
	if !strings.Contains(out, `__name__="cli_test"`) || !strings.Contains(out, "status:    400") {
		t.Errorf("show:\n%s", out)
	}
	be.status.Store(0)
	out = mustRun(t, "deadletter", "replay", "--data-dir", data, "--all")
	if !strings.Contains(out, "10 samples re-queued") {
		t.Errorf("replay:\n%s", out)
	}
	eventually(t, "replayed samples delivered", func() bool { return be.accepted.Load() == 10 })
	if left := deadLetters(t, data); len(left) != 0 {
		t.Errorf("%d dead letters left after replay", len(left))
	}
	if _, err := run(t, "", "deadletter", "purge", "--data-dir", data); err == nil {
		t.Error("purge without a selection succeeded")
	}
	if _, err := run(t, "", "deadletter", "show", "--data-dir", data, "00000000000000000001.dl"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("show of a missing dead letter: %v", err)
	}
}

func TestDeadLetterOnStoppedDataDir(t *testing.T) {
	data := t.TempDir()
	refusing, other := newBackend(t, 422), newBackend(t, 0)
	base, stop := startDaemon(t, data, nil, refusing, other)
	push(t, base, 50)
	// A refused batch is split and its parts dead-lettered one by one:
	// wait for two, so one is left to replay after purging the first.
	eventually(t, "dead letters", func() bool { return len(deadLetters(t, data)) > 1 })
	stop()

	list := deadLetters(t, data)
	out := mustRun(t, "deadletter", "purge", "--data-dir", data, list[0].Name)
	if !strings.Contains(out, "1 dead letters") {
		t.Errorf("purge:\n%s", out)
	}
	out = mustRun(t, "deadletter", "replay", "--data-dir", data, "--all", "--to", other.URL())
	if !strings.Contains(out, "re-queued") {
		t.Errorf("replay:\n%s", out)
	}
	if left := deadLetters(t, data); len(left) != 0 {
		t.Fatalf("%d dead letters left", len(left))
	}
	var view adminapi.QueuesView
	json.Unmarshal([]byte(mustRun(t, "queues", "--data-dir", data, "--json")), &view)
	qs := view.Backends
	pending := uint64(0)
	for _, q := range qs {
		if q.Backend == other.URL() {
			pending += q.PendingSamples
		}
	}
	if pending == 0 {
		t.Errorf("replayed samples not queued for the other backend: %+v", qs)
	}
	// The next start delivers them.
	before := other.accepted.Load()
	startDaemon(t, data, nil, refusing, other)
	eventually(t, "replayed samples delivered", func() bool { return other.accepted.Load() > before })
}

func TestLimiterCommand(t *testing.T) {
	data := t.TempDir()
	be := newBackend(t, 0)
	base, stop := startDaemon(t, data, func(c *config.Config) { c.MaxHourlySeries = 5 }, be)
	push(t, base, 8)
	out := mustRun(t, "limiter", "--data-dir", data)
	if !strings.Contains(out, "(daemon)") || !strings.Contains(out, "100.0%") {
		t.Errorf("limiter against the daemon:\n%s", out)
	}
	var st adminapi.LimiterStatus
	json.Unmarshal([]byte(mustRun(t, "limiter", "--data-dir", data, "--json")), &st)
	if !st.Enabled || st.Hour.Series != 5 || st.Hour.Limit != 5 || st.Hour.SeriesDropped != 3 {
		t.Errorf("limiter status %+v", st)
	}
	stop()
	out = mustRun(t, "limiter", "--data-dir", data)
	if !strings.Contains(out, "(data-dir)") || !strings.Contains(out, "100.0%") {
		t.Errorf("limiter on the stopped data dir:\n%s", out)
	}
}
