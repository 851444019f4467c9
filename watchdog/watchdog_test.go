package watchdog

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestDownAfterFailAfterUpAfterRecoverAfter(t *testing.T) {
	a, b := newFakeBackend(t), newFakeBackend(t)
	var logs bytes.Buffer
	m := NewMetrics(prometheus.NewRegistry())
	var changes atomic.Int32
	w := New(targets(a, b), Options{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Metrics: m,
		OnChange: func() { changes.Add(1) },
	})
	a.status.Store(http.StatusServiceUnavailable)
	rounds(w, 2)
	if !w.Up(0) {
		t.Fatal("down after 2 of 3 failed probes")
	}
	rounds(w, 1)
	if w.Up(0) || !w.Up(1) {
		t.Fatalf("after 3 failures: Up = %v %v, want false true", w.Up(0), w.Up(1))
	}
	a.status.Store(http.StatusNoContent)
	rounds(w, 1)
	if w.Up(0) {
		t.Fatal("up after 1 of 2 good probes")
	}
	rounds(w, 1)
	if !w.Up(0) {
		t.Fatal("still down after 2 good probes")
	}
	if changes.Load() != 2 || value(m.transitions.WithLabelValues("b0", "down")) != 1 ||
		value(m.transitions.WithLabelValues("b0", "up")) != 1 || value(m.members) != 2 {
		t.Fatalf("changes %d, metrics wrong", changes.Load())
	}
	if n := strings.Count(logs.String(), "backend down"); n != 1 {
		t.Fatalf("%d down lines, want 1:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), a.srv.URL) {
		t.Fatal("URL leaked into logs")
	}
	if a.badReq.Load() != 0 || a.probes.Load() != 5 {
		t.Fatalf("probes %d, malformed %d", a.probes.Load(), a.badReq.Load())
	}
}

func TestStrictVerdict(t *testing.T) {
	for _, code := range []int{200, 204, 299, 301, 400, 404, 429, 500, 503} {
		f := newFakeBackend(t)
		f.status.Store(int32(code))
		w := New(targets(f, newFakeBackend(t)), Options{FailAfter: 1})
		rounds(w, 1)
		if want := code/100 == 2; w.Up(0) != want {
			t.Errorf("HTTP %d: Up = %v, want %v", code, w.Up(0), want)
		}
	}
}

func TestNetworkErrorAndTimeoutAreBad(t *testing.T) {
	dead := newFakeBackend(t)
	dead.srv.Close()
	slow := newHangingBackend(t)
	ts := targets(dead, slow, newFakeBackend(t))
	ts[0].URL = strings.Replace(ts[0].URL, "http://", "http://user:secret@", 1)
	w := New(ts, Options{FailAfter: 1, Timeout: 50 * time.Millisecond})
	rounds(w, 1)
	st := w.Status()
	t.Logf("last errors: %q, %q", st[0].LastError, st[1].LastError)
	if st[0].Healthy || st[1].Healthy || !st[2].Healthy {
		t.Fatalf("status %+v", st)
	}
	if st[0].LastError == "" || strings.Contains(st[0].LastError, "secret") || strings.Contains(st[0].LastError, "http://") {
		t.Fatalf("last error leaks the URL: %q", st[0].LastError)
	}
}

func TestAllDownReportsAllUp(t *testing.T) {
	a, b := newFakeBackend(t), newFakeBackend(t)
	m := NewMetrics(nil)
	w := New(targets(a, b), Options{FailAfter: 1, RecoverAfter: 1, Metrics: m})
	a.status.Store(500)
	rounds(w, 1)
	if w.Up(0) || !w.Up(1) || value(m.members) != 1 {
		t.Fatal("one down: want [false true], 1 member")
	}
	b.status.Store(500)
	rounds(w, 1)
	if !w.Up(0) || !w.Up(1) || value(m.members) != 2 || value(m.allDown) != 1 {
		t.Fatal("all down: every backend must be reported up")
	}
	st := w.Status()
	if st[0].Healthy || !st[0].Member {
		t.Fatalf("all down status %+v", st[0])
	}
	b.status.Store(204)
	rounds(w, 1)
	if w.Up(0) || !w.Up(1) || value(m.allDown) != 0 {
		t.Fatal("one back: routing must use health again")
	}
}

func TestFlapping(t *testing.T) {
	f := newFakeBackend(t)
	var changes atomic.Int32
	w := New(targets(f, newFakeBackend(t)), Options{OnChange: func() { changes.Add(1) }})
	for range 10 { // bad, bad, good: never 3 in a row
		f.status.Store(500)
		rounds(w, 2)
		f.status.Store(204)
		rounds(w, 1)
	}
	if !w.Up(0) || changes.Load() != 0 {
		t.Fatalf("sub-threshold flapping changed membership %d times", changes.Load())
	}
	for range 3 { // down (3 bad), one good, bad again: stays down
		f.status.Store(500)
		rounds(w, 3)
		f.status.Store(204)
		rounds(w, 1)
	}
	if w.Up(0) || changes.Load() != 1 {
		t.Fatalf("Up %v after %d changes, want down after 1", w.Up(0), changes.Load())
	}
}

func TestReportSendResultCountsLikeProbes(t *testing.T) {
	f := newFakeBackend(t)
	w := New(targets(f, newFakeBackend(t)), Options{})
	w.ReportSendResult(0, false)
	w.ReportSendResult(0, false)
	rounds(w, 1) // healthy probe resets the run
	w.ReportSendResult(0, false)
	w.ReportSendResult(0, false)
	if !w.Up(0) {
		t.Fatal("down after a good probe broke the failure run")
	}
	w.ReportSendResult(0, false)
	if w.Up(0) {
		t.Fatal("3 failed sends must take the backend down")
	}
	w.ReportSendResult(0, true)
	w.ReportSendResult(0, true)
	if !w.Up(0) {
		t.Fatal("2 successful sends must bring it back")
	}
	w.ReportSendResult(-1, false) // ignored
	w.ReportSendResult(9, false)
	if !w.Up(9) {
		t.Fatal("unwatched index must be up")
	}
}

// TestUpUnderConcurrentFlips: one goroutine flips membership while 8
// read Up. A backend never reported down must always read up, and the
// only other backend flapping alone must never make both read down.
func TestUpUnderConcurrentFlips(t *testing.T) {
	w := New(make([]Target, 2), Options{FailAfter: 1, RecoverAfter: 1})
	solo := New(make([]Target, 1), Options{FailAfter: 1, RecoverAfter: 1})
	var wg sync.WaitGroup
	var bad atomic.Int64
	for range 8 {
		wg.Go(func() {
			for range 20000 {
				if !w.Up(1) || !solo.Up(0) {
					bad.Add(1)
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 4000 {
			w.ReportSendResult(0, i%2 == 0)
			solo.ReportSendResult(0, i%2 == 0)
		}
	})
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d reads saw a healthy or sole backend down", bad.Load())
	}
}

func TestStartStopWithInjectedTicker(t *testing.T) {
	f := newFakeBackend(t)
	f.status.Store(500)
	tick := chanTicker{c: make(chan time.Time)}
	down := make(chan struct{}, 1)
	w := New(targets(f, newFakeBackend(t)), Options{
		NewTicker: func(time.Duration) Ticker { return tick },
		OnChange:  func() { down <- struct{}{} },
	})
	w.Start()
	w.Start()
	tick.c <- time.Time{} // round 1 done, round 2 starts
	tick.c <- time.Time{} // round 2 done, round 3 starts
	<-down
	if w.Up(0) {
		t.Fatal("not down after 3 rounds")
	}
	w.Stop()
	w.Stop()
}

func TestStopCancelsHangingProbe(t *testing.T) {
	f := newHangingBackend(t)
	w := New(targets(f), Options{Timeout: time.Hour, NewTicker: func(time.Duration) Ticker {
		return chanTicker{c: make(chan time.Time)}
	}})
	w.Start()
	<-f.arrived
	w.Stop() // must not wait an hour for the probe
	if !w.Up(0) {
		t.Fatal("a probe cancelled by Stop must not count as a failure")
	}
}

func TestClassifyRedacts(t *testing.T) {
	err := classify(nil, &urlErrorForTest)
	if strings.Contains(err.Error(), "secret") || !errors.Is(err, errDialForTest) {
		t.Fatalf("classify = %v", err)
	}
	var se *StatusError
	if !errors.As(classify(&http.Response{StatusCode: 400}, nil), &se) || se.Code != 400 {
		t.Fatal("400 must be a *StatusError")
	}
}
