package chaos

import (
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/prws/prws/config"
	"github.com/prws/prws/internal/testenv"
)

// faultKind says what prws must do with the batches a fault hits.
type faultKind int

const (
	retried    faultKind = iota // retried until accepted, byte for byte
	markedDown                  // retried and the backend marked down at once
)

type backendFault struct {
	name       string
	behave     func(b *testenv.Backend) testenv.Behavior // nil: no behavior (slow accept)
	slowAccept time.Duration
	kind       faultKind
	minGap     time.Duration // smallest wait between attempts of one body
	maxWait    time.Duration // --remote_write_max_wait when not 200 ms
}

func hang(w http.ResponseWriter, r *http.Request, _ []byte) bool {
	select {
	case <-r.Context().Done():
	case <-time.After(30 * time.Second):
	}
	return true
}

func reset(w http.ResponseWriter, _ *http.Request, _ []byte) bool {
	c, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		c.Close()
	}
	return true
}

func flapping(period time.Duration) testenv.Behavior {
	start := time.Now()
	return func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if (time.Since(start)/period)%2 == 0 {
			return testenv.Status(http.StatusServiceUnavailable, "")(w, r, body)
		}
		return false
	}
}

func closeConn(w http.ResponseWriter, _ *http.Request, _ []byte) bool {
	w.Header().Set("Connection", "close")
	return false
}

func fixed(f testenv.Behavior) func(*testenv.Backend) testenv.Behavior {
	return func(*testenv.Backend) testenv.Behavior { return f }
}

var backendFaults = []backendFault{
	{name: "500", behave: fixed(testenv.Status(500, "")), kind: retried},
	{name: "503", behave: fixed(testenv.Status(503, "")), kind: retried},
	{name: "429 Retry-After 1", behave: fixed(testenv.Status(429, "1")), kind: retried, minGap: 900 * time.Millisecond,
		maxWait: 2 * time.Second}, // Retry-After is capped at max_wait by design
	{name: "connection reset", behave: fixed(reset), kind: retried},
	{name: "hang past timeout", behave: fixed(hang), kind: retried},
	{name: "slow accept 700ms", behave: fixed(closeConn), slowAccept: 700 * time.Millisecond, kind: retried},
	{name: "flapping 1s", behave: func(*testenv.Backend) testenv.Behavior { return flapping(time.Second) }, kind: retried},
	{name: "400 for every write", behave: fixed(testenv.Status(400, "")), kind: markedDown},
	{name: "409 for every write", behave: fixed(testenv.Status(409, "")), kind: markedDown},
	{name: "413 for every write", behave: fixed(testenv.Status(413, "")), kind: markedDown},
	{name: "415 for every write", behave: fixed(testenv.Status(415, "")), kind: markedDown},
	{name: "422 for every write", behave: fixed(testenv.Status(422, "")), kind: markedDown},
	{name: "401", behave: fixed(testenv.Status(401, "")), kind: markedDown},
	{name: "403", behave: fixed(testenv.Status(403, "")), kind: markedDown},
}

// splitStatus reports whether the fault answers a status prws splits a
// batch on (400, 409, 413, 422) rather than only retrying it.
func splitStatus(name string) bool {
	for _, c := range []string{"400", "409", "413", "422"} {
		if strings.HasPrefix(name, c+" ") {
			return true
		}
	}
	return false
}

// TestBackendFaults runs an in-process daemon against a healthy backend a
// and a backend b that misbehaves for a while, under steady load.
func TestBackendFaults(t *testing.T) {
	for _, f := range backendFaults {
		t.Run(strings.ReplaceAll(f.name, " ", "_"), func(t *testing.T) { runBackendFault(t, f) })
	}
}

func runBackendFault(t *testing.T, f backendFault) {
	window := pick(2*time.Second, 10*time.Second)
	r := &row{Scenario: "backend " + f.name, Injected: fmt.Sprintf("backend b for %v", window)}
	report(t, r)
	leaks := goleak.IgnoreCurrent()
	a, b := newBackend(t), newBackend(t)
	a.Track()
	b.Track()
	w := newWorld(t, 2, a, b)
	in := startDaemon(t, w, t.TempDir(), func(c *config.Config) {
		c.Batch = 500
		if f.maxWait > 0 {
			c.MaxWait = f.maxWait
		}
	})
	heap := watchHeap()
	l := newLoad(in.url, 1000, 50)
	stop := l.Run(2, 5*time.Millisecond)
	defer stop()
	time.Sleep(pick(700*time.Millisecond, 3*time.Second))
	t1 := time.Now()
	b.SetAcceptDelay(f.slowAccept)
	b.Set(f.behave(b))
	var wasDown bool
	for end := time.Now().Add(window); time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
		if gaugeFor(in.d.Registry(), "prws_backend_up", portOf(b)) == 0 {
			wasDown = true
		}
	}
	t2 := time.Now()
	b.SetAcceptDelay(0)
	b.Set(nil)
	time.Sleep(pick(300*time.Millisecond, 2*time.Second))
	stop()
	tl := w.drain(t, l, 30*time.Second, r)
	reg := in.d.Registry()
	dl := gaugeFor(reg, "prws_remote_dead_letter_samples_total", portOf(b))
	failed, same := b.RetriedIdentically()
	minGap, maxGap, jittered := gaps(b)
	// A batch refused with a split status just before the backend came
	// back finds the empty probe accepted and is delivered in parts, not
	// byte for byte; all of it must still arrive (one such batch per
	// queue at most).
	inParts := splitStatus(f.name) && tl.lost == 0 && failed-same <= 2
	if same != failed && !inParts {
		t.Errorf("%d of %d refused bodies never accepted byte for byte", failed-same, failed)
	}
	if dl != 0 {
		t.Errorf("%v samples dead-lettered by a retryable fault", dl)
	}
	if f.minGap > 0 && minGap < f.minGap {
		t.Errorf("retries %v apart, Retry-After asked for %v", minGap, f.minGap)
	}
	if maxGap > max(f.maxWait, 200*time.Millisecond)+f.slowAccept+2*time.Second {
		t.Errorf("retry gap %v exceeds the capped backoff", maxGap)
	}
	if f.kind == markedDown && !wasDown {
		t.Error("backend refusing every write never marked down")
	}
	basePhase, faultPhase := ackP99(l, time.Time{}, t1), ackP99(l, t1, t2)
	baseLag, faultLag := lagP99(l, a, time.Time{}, t1), lagP99(l, a, t1, t2)
	maxHeap := heap()
	r.Note = fmt.Sprintf("a ack p99 %v→%v, a delivery p99 %v→%v; b: %d refused bodies, %d resent identically, gaps %v..%v jitter %v, dead letters %v, marked down %v; heap max %d MiB",
		basePhase, faultPhase, baseLag, faultLag, failed, same, minGap, maxGap, jittered, dl, wasDown, maxHeap>>20)
	if maxHeap > 1<<30 {
		t.Errorf("heap grew to %d MiB", maxHeap>>20)
	}
	in.stop(t)
	a.CloseClientConnections()
	b.CloseClientConnections()
	l.Client().CloseIdleConnections()
	if err := goleak.Find(leaks, goleak.IgnoreAnyFunction("net/http.(*conn).serve"),
		goleak.IgnoreAnyFunction("net/http/httptest.(*Server).goServe.func1")); err != nil {
		t.Errorf("goroutines left after shutdown: %v", err)
	}
}

// watchHeap samples the heap every 50 ms until the returned func is
// called; it returns the largest HeapInuse seen.
func watchHeap() func() uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for i := 0; i < 100_000; i++ {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); return peak.Load() }
}

// gaugeFor sums metric name's series whose labels mention sub.
func gaugeFor(reg *prometheus.Registry, name, sub string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		return -1
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := false
			for _, lp := range m.GetLabel() {
				match = match || strings.Contains(lp.GetValue(), sub)
			}
			if !match {
				continue
			}
			switch {
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			}
		}
	}
	return sum
}

func portOf(b *testenv.Backend) string { return b.Addr() }

// gaps returns the smallest and largest wait between two attempts of one
// body, and whether the waits vary (jitter).
func gaps(b *testenv.Backend) (lo, hi time.Duration, jittered bool) {
	seen := map[time.Duration]bool{}
	for _, ts := range b.Attempts() {
		for i := 1; i < len(ts); i++ {
			g := ts[i].Sub(ts[i-1])
			if lo == 0 || g < lo {
				lo = g
			}
			hi = max(hi, g)
			seen[g.Round(time.Millisecond)] = true
		}
	}
	return lo.Round(time.Millisecond), hi.Round(time.Millisecond), len(seen) > 2
}

// ackP99 is the p99 acknowledgment latency of requests acked in [from, to).
func ackP99(l *testenv.Load, from, to time.Time) time.Duration {
	var d []time.Duration
	for _, a := range l.AckedIn(from, to) {
		d = append(d, a.Latency)
	}
	return testenv.Percentile(d, 0.99).Round(100 * time.Microsecond)
}

// lagP99 is the p99 time from acknowledgment to first arrival at b of the
// samples acked in [from, to) and routed to b.
func lagP99(l *testenv.Load, b *testenv.Backend, from, to time.Time) time.Duration {
	acks := l.AckedIn(from, to)
	var d []time.Duration
	for k, a := range acks {
		for _, id := range l.SeriesOf(k) {
			if first, ok := b.FirstAt(testenv.SampleKey(id, k)); ok {
				d = append(d, first.Sub(a.At))
			}
		}
	}
	return testenv.Percentile(d, 0.99).Round(100 * time.Microsecond)
}
