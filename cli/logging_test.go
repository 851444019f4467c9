package cli

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prws/prws/config"
	"github.com/prws/prws/daemon"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDeadLettersLoggedRateLimited: a backend refusing batch after batch
// gives one WARN line per queue, not one per batch, and a backend URL
// without a path is warned about at start-up.
func TestDeadLettersLoggedRateLimited(t *testing.T) {
	data := t.TempDir()
	be := newBackend(t, 400)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	cfg := config.Defaults()
	cfg.DataDir, cfg.ShutdownDelay, cfg.Shards = data, 0, 1
	cfg.Backends = []string{be.URL(), be.srv.URL}
	cfg.MinWait, cfg.MaxWait, cfg.BatchLinger, cfg.Batch = 5*time.Millisecond, 50*time.Millisecond, 0, 1
	warnConfig(log, cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	d, err := daemon.New(cfg, "test", log)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ln); err != nil {
		t.Fatal(err)
	}
	defer d.Shutdown(context.Background())
	const batches = 30 // --batch 1: one series of one sample per batch
	push(t, "http://"+cfg.Listen, batches)
	eventually(t, "every batch dead-lettered", func() bool {
		n := 0
		for _, dl := range deadLetters(t, data) {
			n += dl.Samples
		}
		return n >= batches
	})
	out := logs.String()
	if n := strings.Count(out, "dead-lettered"); n == 0 || n > 2 {
		t.Errorf("%d dead-letter WARN lines for %d refused batches on 2 queues, want 1 or 2:\n%s", n, batches, out)
	}
	if !strings.Contains(out, "has no path") {
		t.Errorf("no warning about %s without a path:\n%s", be.srv.URL, out)
	}
}
