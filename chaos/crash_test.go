package chaos

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/prws/prws/config"
	"github.com/prws/prws/internal/testenv"
	"github.com/prws/prws/replay"
)

// TestKill9Loop kills the prws binary with SIGKILL every 1–3 s (short:
// 0.5–1.5 s) under continuous load, restarts it each time, then drains:
// nothing acknowledged is lost, every restart is ready within 5 s, and
// duplicates stay within one in-flight batch per queue per crash.
func TestKill9Loop(t *testing.T) {
	r := &row{Scenario: "kill -9 loop", Injected: pick("SIGKILL every 0.5-1.5s for 10s", "SIGKILL every 1-3s for 60s")}
	report(t, r)
	a, b := newBackend(t), newBackend(t)
	w := newWorld(t, 2, a, b)
	dir, listen := t.TempDir(), testenv.FreeAddr(t)
	const batch = 500
	args := []string{"--data-dir", dir, "--promes", w.promes(), "--batch", fmt.Sprint(batch),
		"--remote_write_min_wait", "10ms", "--remote_write_max_wait", "200ms", "--queue-segment-bytes", "262144"}
	p := startProc(t, listen, args...)
	l := newLoad(p.url, 5000, 100)
	stop := l.Run(4, 2*time.Millisecond)
	defer stop()
	end := time.Now().Add(pick(10*time.Second, 60*time.Second))
	lo, hi := pick(500, 1000), pick(1500, 3000)
	var kills int
	var slowest time.Duration
	for i := 0; i < 1000 && time.Now().Before(end); i++ {
		time.Sleep(time.Duration(lo+rand.IntN(hi-lo)) * time.Millisecond)
		p.Kill()
		kills++
		p = startProc(t, listen, args...)
		slowest = max(slowest, p.ready)
		if p.ready > 5*time.Second {
			t.Errorf("restart %d took %v to be ready", kills, p.ready)
		}
	}
	stop()
	tl := w.drain(t, l, 60*time.Second, r)
	l.CheckUnexpected(t)
	// Each of the 2 backends × 2 shards has at most one read of
	// BatchesInFlight batches in flight when the process dies.
	bound := int64(kills * 2 * 2 * batch * replay.BatchesInFlight(config.Defaults().MaxInFlight))
	if tl.dup > bound {
		t.Errorf("%d duplicate deliveries, more than the in-flight batches of %d crashes allow (%d)", tl.dup, kills, bound)
	}
	r.Note = fmt.Sprintf("%d kills, slowest restart %v, dup bound %d", kills, slowest.Round(time.Millisecond), bound)
	t.Logf("%+v; %s", tl, r.Note)
}

// TestSigtermBacklog: SIGTERM while one backend is down and has a backlog.
// Requests sent after the signal get 503 with Retry-After within 1 s
// (the listener stays open for --shutdown-delay, so senders are told to
// retry rather than refused), nothing is acknowledged from 1 s after the
// signal, the process exits 0, and a restart drains the backlog once the
// backend is back.
func TestSigtermBacklog(t *testing.T) {
	r := &row{Scenario: "SIGTERM with backlog", Injected: "backend 503 + SIGTERM"}
	report(t, r)
	a, b := newBackend(t), newBackend(t)
	b.Set(testenv.Status(http.StatusServiceUnavailable, ""))
	w := newWorld(t, 2, a, b)
	dir, listen := t.TempDir(), testenv.FreeAddr(t)
	args := []string{"--data-dir", dir, "--promes", w.promes(), "--remote_write_min_wait", "10ms", "--remote_write_max_wait", "100ms"}
	p := startProc(t, listen, args...)
	l := newLoad(p.url, 2000, 100)
	for i := 0; i < 50; i++ {
		if code := l.One(p.url); code != http.StatusNoContent {
			t.Fatalf("write %d: %d", i, code)
		}
	}
	stop := l.Run(2, 0)
	time.Sleep(200 * time.Millisecond)
	p.Cmd.Process.Signal(syscall.SIGTERM)
	sig := time.Now()
	// Probe with fresh requests until one is refused; from 1 s after the
	// signal nothing may be acknowledged.
	var refusedAfter time.Duration = -1
	firstRefusal := -1
	codes := map[int]int{}
	for i := 0; i < 300 && time.Since(sig) < 1500*time.Millisecond; i++ {
		sent := time.Since(sig)
		body, err := l.Body(1<<30 + int64(i))
		if err != nil {
			t.Fatal(err)
		}
		c, _ := post(l.Client(), p.url, body, nil)
		codes[c]++
		if c < 200 || c > 299 {
			if refusedAfter < 0 {
				refusedAfter, firstRefusal = time.Since(sig), c
			}
		} else if sent > time.Second {
			t.Errorf("request sent %v after SIGTERM acknowledged", sent)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if refusedAfter < 0 || refusedAfter > time.Second {
		t.Errorf("first refusal %v after SIGTERM, want within 1s", refusedAfter)
	}
	if firstRefusal != http.StatusServiceUnavailable {
		t.Errorf("first refusal after SIGTERM answered %d, want 503 (0 = connection refused)", firstRefusal)
	}
	before := len(l.Acked())
	stop()
	code := p.exited(20 * time.Second)
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0:\n%s", code, p.Log.String())
	}
	exitAfter := time.Since(sig)
	b.Set(nil)
	startProc(t, listen, args...)
	w.drain(t, l, 30*time.Second, r)
	l.CheckUnexpected(t)
	r.Note = fmt.Sprintf("exit %d after %v; first refusal after %v; probe answers %v (0 = connection refused); %d requests acked",
		code, exitAfter.Round(time.Millisecond), refusedAfter.Round(time.Millisecond), codes, before)
}
