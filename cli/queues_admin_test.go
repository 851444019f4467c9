package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/router"
)

// backlog leaves samples queued for a backend that answers 503, then
// stops the daemon.
func backlog(t *testing.T, data string, down, up *backend) {
	t.Helper()
	base, stop := startDaemon(t, data, nil, down, up)
	push(t, base, 20)
	stop()
}

func TestQueuesDrop(t *testing.T) {
	data := t.TempDir()
	down, up := newBackend(t, 503), newBackend(t, 0)
	base, stop := startDaemon(t, data, nil, down, up)
	push(t, base, 20)
	if _, err := run(t, "", "queues", "drop", "--data-dir", data, "--yes", down.URL()); err == nil ||
		!strings.Contains(err.Error(), "stopped data dir") {
		t.Fatalf("drop while the daemon runs: %v", err)
	}
	stop()
	id, _ := router.BackendID(down.URL())
	if _, err := run(t, "", "queues", "drop", "--data-dir", data, "--yes", id); err == nil ||
		!strings.Contains(err.Error(), "configured") {
		t.Fatalf("drop of a configured backend: %v", err)
	}
	out, err := run(t, "no\n", "queues", "drop", "--data-dir", data, "--force", id)
	if err == nil || !strings.Contains(out, "pending samples") {
		t.Fatalf("drop answered no: %v\n%s", err, out)
	}
	if _, err := os.Stat(datadir.BackendDir(data, id)); err != nil {
		t.Fatalf("queue gone after answering no: %v", err)
	}
	out, err = run(t, "y\n", "queues", "drop", "--data-dir", data, "--promes", up.URL(), id)
	if err != nil || !strings.Contains(out, "dropped backend "+id) {
		t.Fatalf("drop: %v\n%s", err, out)
	}
	if _, err := os.Stat(datadir.BackendDir(data, id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("queue still there: %v", err)
	}
}

func TestQueuesMove(t *testing.T) {
	data := t.TempDir()
	down, up := newBackend(t, 503), newBackend(t, 0)
	backlog(t, data, down, up)
	moved := newBackend(t, 0)
	out := mustRun(t, "queues", "move", "--data-dir", data, "--to", moved.URL(), down.URL())
	if !strings.Contains(out, "moved queues") {
		t.Errorf("move:\n%s", out)
	}
	var view adminapi.QueuesView
	json.Unmarshal([]byte(mustRun(t, "queues", "--data-dir", data, "--json")), &view)
	qs := view.Backends
	var pending uint64
	for _, q := range qs {
		if q.Backend == moved.URL() {
			pending += q.PendingSamples
		}
	}
	if pending == 0 {
		t.Fatalf("no backlog under the new URL: %+v", qs)
	}
	startDaemon(t, data, nil, moved, up)
	eventually(t, "backlog drained to the new address", func() bool { return moved.accepted.Load() == int64(pending) })
}

func TestWatchLoopPlainFrames(t *testing.T) {
	qs := []adminapi.QueueStatus{{Backend: "http://a/w", BackendID: "a", PendingSamples: 100, Configured: true, Up: true, Routed: true, Source: "daemon"}}
	var buf bytes.Buffer
	load := func() ([]adminapi.QueueStatus, string, error) {
		qs[0].PendingSamples -= 50
		return qs, "daemon", nil
	}
	if err := watchLoop(context.Background(), &buf, load, time.Millisecond, false, 2); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, clearScreen) || strings.Count(out, "prws queues") != 2 || !strings.Contains(out, "100%") {
		t.Errorf("plain frames:\n%s", out)
	}
	buf.Reset()
	failing := func() ([]adminapi.QueueStatus, string, error) { return nil, "", errors.New("connection refused") }
	watchLoop(context.Background(), &buf, failing, time.Millisecond, true, 1)
	if !strings.HasPrefix(buf.String(), clearScreen) || !strings.Contains(buf.String(), "connection refused") {
		t.Errorf("tty frame with an error:\n%q", buf.String())
	}
}

func TestWatchStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- watchLoop(ctx, &bytes.Buffer{}, func() ([]adminapi.QueueStatus, string, error) { return nil, "daemon", nil }, time.Hour, false, 0)
	}()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not stop")
	}
}
