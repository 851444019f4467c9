package logthrottle

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the timer goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRepeatedWarningsAreCounted(t *testing.T) {
	var out lockedBuffer
	h := New(slog.NewTextHandler(&out, nil), Options{Interval: time.Hour})
	log := slog.New(h)
	a, b := log.With("backend", "a"), log.With("backend", "b")
	for i := range 1000 {
		a.Warn("backend refused batch; dead-lettered", "first", i)
	}
	b.Warn("backend refused batch; dead-lettered", "first", 0)
	a.Info("informational", "n", 1)
	a.Info("informational", "n", 2)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4 (one per backend, two info):\n%s", len(lines), out.String())
	}
	if !strings.Contains(lines[0], "backend=a") || !strings.Contains(lines[1], "backend=b") {
		t.Errorf("lines:\n%s", out.String())
	}
}

func TestCountWrittenWithNextLineOrSummary(t *testing.T) {
	var out lockedBuffer
	h := New(slog.NewTextHandler(&out, nil), Options{Interval: 20 * time.Millisecond})
	log := slog.New(h).With("backend", "a")
	for range 5 {
		log.Warn("refused")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "repeated=4") {
		if time.Now().After(deadline) {
			t.Fatalf("no summary of the 4 suppressed lines:\n%s", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "backend=a") || strings.Count(out.String(), "\n") != 2 {
		t.Errorf("output:\n%s", out.String())
	}
}
