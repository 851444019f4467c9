package replay

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/prws/prws/queue"
)

// fakeClock is a clock that only moves when a worker sleeps on it.
type fakeClock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

// backlogQueue is a queue holding records x samples samples.
func backlogQueue(t *testing.T, records, samples int) *queue.Queue {
	t.Helper()
	q, err := queue.Open(t.TempDir(), queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]queue.Record, 0, records)
	for i := range records {
		recs = append(recs, seriesRecord(t, i, samples))
	}
	if err := q.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	return q
}

// TestSendCapDrainRate drains a 200 000-sample backlog through a
// 20 000 samples/s cap on a fake clock: the drain rate (samples over the
// clock time the worker waited) is within 20 % of the cap, and the wait
// is exported.
func TestSendCapDrainRate(t *testing.T) {
	const capPerSec, total = 20000.0, 200000
	q := backlogQueue(t, 2000, total/2000)
	defer q.Close()
	be := newBackend(t)
	clock := &fakeClock{now: time.Unix(1700000000, 0)}
	start := clock.Now()
	reg := prometheus.NewRegistry()
	lim := NewSendLimiter("b", capPerSec, 0, 5000, NewRateMetrics(reg))
	w := mustWorker(&Endpoint{Name: "b", URL: be.srv.URL}, q, Options{
		BatchSamples: 5000, Limiter: lim, Now: clock.Now, Sleep: clock.Sleep,
	})
	w.Start()
	waitDrained(t, q)
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	elapsed := clock.Now().Sub(start).Seconds()
	drain := total / elapsed
	t.Logf("drained %d samples in %.2f s of clock: %.0f samples/s against a cap of %.0f", total, elapsed, drain, capPerSec)
	if drain < 0.8*capPerSec || drain > 1.2*capPerSec {
		t.Fatalf("drain rate %.0f samples/s, want the cap %.0f within 20%%", drain, capPerSec)
	}
	waited := metricValue(t, reg, "prws_remote_rate_limited_seconds_total", map[string]string{"backend": "b"})
	if waited < elapsed*0.99 || waited > elapsed*1.01 {
		t.Fatalf("prws_remote_rate_limited_seconds_total = %v, want the %v s the worker waited", waited, elapsed)
	}
}

// TestSendCapRealClock drains a 200 000-sample backlog from four shards
// sharing one backend cap of 50 000 samples/s on the real clock and
// reports the rate, overall and past the first burst (one second's
// worth, which a full bucket lets through at once). The token bucket guarantees the upper bound (burst
// plus the cap times the elapsed time); no lower bound is asserted, so a
// slow machine cannot fail it.
func TestSendCapRealClock(t *testing.T) {
	if testing.Short() {
		t.Skip("drains for about 3 s")
	}
	const capPerSec, shards, total = 50000.0, 4, 200000
	be := newBackend(t)
	lim := NewSendLimiter("b", capPerSec, 0, 5000, nil)
	var qs []*queue.Queue
	var ws []*Worker
	for range shards {
		q := backlogQueue(t, 500, total/shards/500)
		defer q.Close()
		qs = append(qs, q)
		ws = append(ws, mustWorker(&Endpoint{Name: "b", URL: be.srv.URL}, q, Options{BatchSamples: 5000, Limiter: lim}))
	}
	start := time.Now()
	for _, w := range ws {
		w.Start()
	}
	for _, q := range qs {
		waitDrained(t, q)
	}
	elapsed := time.Since(start).Seconds()
	for _, w := range ws {
		if err := w.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("4 shards drained %d samples in %.2f s: %.0f samples/s overall, %.0f samples/s past the first burst, against a cap of %.0f",
		total, elapsed, total/elapsed, (total-capPerSec)/elapsed, capPerSec)
	if burst := capPerSec; total > burst+capPerSec*elapsed*1.001 {
		t.Fatalf("%d samples in %.2f s passes the cap %.0f/s (burst %.0f)", total, elapsed, capPerSec, burst)
	}
}

// TestSendLimiterRequestsAndReload: the requests cap spaces requests,
// SetLimits changes the caps at once, 0 is unlimited.
func TestSendLimiterRequestsAndReload(t *testing.T) {
	now := time.Unix(0, 0)
	l := NewSendLimiter("b", 0, 2, 100, nil)
	if d1, d2, d3 := l.delay(now, 10), l.delay(now, 10), l.delay(now, 10); d1 != 0 || d2 != 0 || d3 != 500*time.Millisecond {
		t.Fatalf("2 requests/s: delays %v %v %v, want 0 0 500ms", d1, d2, d3)
	}
	l.SetLimits(1000, 0)
	if d := l.delay(now, 1000); d != 0 {
		t.Fatalf("first 1000 samples waited %v: the bucket starts full", d)
	}
	if d := l.delay(now, 3000); d != 3*time.Second {
		t.Fatalf("3000 samples at 1000/s waited %v, want 3s (a batch above the burst is reserved in parts)", d)
	}
	l.SetLimits(0, 0)
	if d := l.delay(now, 1e6); d != 0 || l.SamplesPerSecond() != 0 {
		t.Fatalf("unlimited waited %v", d)
	}
	var nilLimiter *SendLimiter
	if err := nilLimiter.Wait(context.Background(), 5, 1, now, nil); err != nil {
		t.Fatal(err)
	}
}
