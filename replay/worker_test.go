package replay

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/queue"
)

// harness is one worker wired to a fake source and a fake backend.
type harness struct {
	w     *Worker
	src   *fakeSource
	be    *backend
	reg   *prometheus.Registry
	sl    *sleeps
	logs  *logRecords
	state *BackendState
	dl    *deadletter.Log
	ep    Endpoint
	opts  Options
}

func newHarness(t *testing.T, be *backend, src *fakeSource, edit func(*Endpoint, *Options)) *harness {
	t.Helper()
	h := &harness{src: src, be: be, reg: prometheus.NewRegistry(), logs: &logRecords{}}
	dl, err := deadletter.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h.dl, h.state = dl, NewBackendState("tsdb-a")
	h.sl = &sleeps{state: h.state}
	h.ep = Endpoint{Name: "tsdb-a", URL: be.srv.URL + "/api/v1/write", Timeout: 5 * time.Second}
	h.opts = Options{
		Shard: 3, BatchSamples: 100, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond,
		State: h.state, Metrics: NewMetrics(h.reg), DeadLetters: dl,
		Logger: slog.New(h.logs), Sleep: h.sl.sleep,
	}
	if edit != nil {
		edit(&h.ep, &h.opts)
	}
	h.w = NewWorker(&h.ep, src, h.opts)
	t.Cleanup(func() { _ = h.w.Stop(context.Background()) })
	h.w.Start()
	return h
}

func (h *harness) metric(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	return metricValue(t, h.reg, name, labels)
}

func decode(t *testing.T, body []byte) []byte {
	t.Helper()
	raw, err := snappy.Decode(nil, body)
	if err != nil {
		t.Fatalf("body is not snappy: %v", err)
	}
	return raw
}

func TestDeliversInOrderWithProtocolHeaders(t *testing.T) {
	batches := []queue.Batch{makeBatch(t, 0, ""), makeBatch(t, 1, "team-a"), makeBatch(t, 2, "")}
	src := newFakeSource(batches...)
	be := newBackend(t)
	h := newHarness(t, be, src, func(ep *Endpoint, o *Options) {
		ep.Headers = map[string]string{"Authorization": "Bearer s3cret", "Content-Type": "text/plain"}
		ep.UserAgent = "prws/test"
		o.TenantHeader = "THANOS-TENANT"
	})
	src.waitAcks(t, 3)
	reqs := be.requests()
	if len(reqs) != 3 {
		t.Fatalf("got %d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		checkHeaders(t, r.header, map[string]string{
			"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
			"X-Prometheus-Remote-Write-Version": "0.1.0", "User-Agent": "prws/test",
			"Authorization": "Bearer s3cret", "Thanos-Tenant": batches[i].Tenant,
		})
		raw := decode(t, r.body)
		if !bytes.Equal(raw, batches[i].Body) {
			t.Fatalf("request %d carries another batch", i)
		}
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(raw); err != nil || len(wr.Timeseries) != 2 || wr.Timeseries[0].Samples[0].Value != float64(i) {
			t.Fatalf("request %d does not decode to batch %d: %v", i, i, err)
		}
	}
	be.mu.Lock()
	maxInFlight := be.maxInFlight
	be.mu.Unlock()
	src.mu.Lock()
	maxSeen := src.maxSeen
	src.mu.Unlock()
	if maxInFlight != 1 || maxSeen != 100 {
		t.Fatalf("max in flight %d (want 1), maxSamples %d (want 100)", maxInFlight, maxSeen)
	}
	if got := h.metric(t, "prws_remote_samples_sent_total", map[string]string{"backend": "tsdb-a", "shard": "3"}); got != 12 {
		t.Fatalf("samples sent = %v, want 12", got)
	}
	if got := h.metric(t, "prws_remote_requests_total", map[string]string{"code": "200"}); got != 3 {
		t.Fatalf("requests{code=200} = %v, want 3", got)
	}
	if h.metric(t, "prws_remote_sent_bytes_total", nil) == 0 || h.metric(t, "prws_remote_request_duration_seconds", nil) != 3 {
		t.Fatal("bytes or duration not recorded")
	}
}

func checkHeaders(t *testing.T, got http.Header, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if g := got.Get(k); g != v {
			t.Fatalf("header %s = %q, want %q", k, g, v)
		}
	}
}

func TestRetriesSendIdenticalBytes(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	be := newBackend(t, status(500, "boom"), status(502, ""), status(500, "boom"))
	h := newHarness(t, be, src, nil)
	src.waitAcks(t, 1)
	reqs := be.requests()
	if len(reqs) != 4 {
		t.Fatalf("got %d requests, want 4", len(reqs))
	}
	for i := 1; i < len(reqs); i++ {
		if !bytes.Equal(reqs[i].body, reqs[0].body) {
			t.Fatalf("retry %d body differs from the first send", i)
		}
	}
	if got := h.metric(t, "prws_remote_retries_total", map[string]string{"shard": "3"}); got != 3 {
		t.Fatalf("retries = %v, want 3", got)
	}
	if got := h.metric(t, "prws_remote_requests_total", map[string]string{"code": "500"}); got != 2 {
		t.Fatalf("requests{code=500} = %v, want 2", got)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	be := newBackend(t, withRetryAfter(503, "1"), withRetryAfter(429, "0"))
	h := newHarness(t, be, src, func(_ *Endpoint, o *Options) { o.RetryAfterMax = time.Minute })
	src.waitAcks(t, 1)
	waits, _ := h.sl.snapshot()
	if len(waits) != 2 || waits[0] != time.Second {
		t.Fatalf("waits = %v, want [1s, backoff]", waits)
	}
	if waits[1] > 2*time.Millisecond {
		t.Fatalf("Retry-After: 0 should fall back to backoff, waited %v", waits[1])
	}
}

func TestRetryAfterCapped(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	be := newBackend(t, withRetryAfter(503, "3600"))
	h := newHarness(t, be, src, func(_ *Endpoint, o *Options) { o.RetryAfterMax = 5 * time.Second })
	src.waitAcks(t, 1)
	if waits, _ := h.sl.snapshot(); len(waits) != 1 || waits[0] != 5*time.Second {
		t.Fatalf("waits = %v, want [5s]", waits)
	}
}

func TestTooManyRequestsRetriedNotDropped(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""), makeBatch(t, 1, ""))
	be := newBackend(t, status(429, "slow down"), status(429, "slow down"), status(429, ""))
	h := newHarness(t, be, src, nil)
	acks := src.waitAcks(t, 2)
	if acks[0].First != 0 || acks[1].First != 10 {
		t.Fatalf("acks out of order: %v, %v", acks[0].First, acks[1].First)
	}
	if n, _ := h.dl.List(); len(n) != 0 {
		t.Fatalf("429 dead-lettered %d batches", len(n))
	}
	if got := h.metric(t, "prws_remote_requests_total", map[string]string{"code": "429"}); got != 3 {
		t.Fatalf("requests{code=429} = %v, want 3", got)
	}
}

func TestConnectionResetRetried(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	be := newBackend(t, reset, reset)
	h := newHarness(t, be, src, nil)
	src.waitAcks(t, 1)
	if got := h.metric(t, "prws_remote_requests_total", map[string]string{"code": "network"}); got < 1 {
		t.Fatalf("requests{code=network} = %v, want ≥ 1", got)
	}
	if st := h.w.Status(); st.ConsecutiveFailures != 0 || st.LastError == "" || !st.Up {
		t.Fatalf("status after recovery = %+v", st)
	}
}

func TestHangPastTimeoutRetried(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	var be *backend
	be = newBackend(t, func(w http.ResponseWriter, r *http.Request) { be.hang(w, r) })
	h := newHarness(t, be, src, func(ep *Endpoint, _ *Options) { ep.Timeout = 20 * time.Millisecond })
	src.waitAcks(t, 1)
	if got := h.metric(t, "prws_remote_requests_total", map[string]string{"code": "timeout"}); got != 1 {
		t.Fatalf("requests{code=timeout} = %v, want 1", got)
	}
	if reqs := be.requests(); len(reqs) != 2 || !bytes.Equal(reqs[0].body, reqs[1].body) {
		t.Fatalf("got %d requests, want 2 identical", len(reqs))
	}
}

func TestFinalStatusesDeadLettered(t *testing.T) {
	for _, code := range []int{400, 404, 409, 413, 415, 422} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			b0, b1 := makeBatch(t, 0, "team-a"), makeBatch(t, 1, "")
			src := newFakeSource(b0, b1)
			be := newBackend(t, status(code, "out of order sample"))
			h := newHarness(t, be, src, nil)
			src.waitAcks(t, 2)
			if reqs := be.requests(); len(reqs) != 2 {
				t.Fatalf("got %d requests, want 2 (no retry)", len(reqs))
			}
			checkDeadLetter(t, h, b0, code)
			if got := h.metric(t, "prws_remote_dead_letter_batches_total", map[string]string{"backend": "tsdb-a"}); got != 1 {
				t.Fatalf("dead-letter batches = %v, want 1", got)
			}
			if got := h.metric(t, "prws_remote_dead_letter_samples_total", nil); got != 4 {
				t.Fatalf("dead-letter samples = %v, want 4", got)
			}
			if h.metric(t, "prws_remote_retries_total", nil) != 0 {
				t.Fatal("a final status was retried")
			}
		})
	}
}

func checkDeadLetter(t *testing.T, h *harness, b queue.Batch, code int) {
	t.Helper()
	metas, err := h.dl.List()
	if err != nil || len(metas) != 1 {
		t.Fatalf("dead letters = %d, %v; want 1", len(metas), err)
	}
	e, err := h.dl.Read(metas[0].Name)
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != code || e.Message != "out of order sample" || e.First != b.First || e.Last != b.Last ||
		e.Tenant != b.Tenant || e.Samples != b.Samples || e.Backend != "tsdb-a" || !bytes.Equal(e.Body, b.Body) {
		t.Fatalf("dead letter = %+v", e)
	}
}

func TestAuthFailureRetriedAndMarksDown(t *testing.T) {
	for _, code := range []int{401, 403} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			src := newFakeSource(makeBatch(t, 0, ""))
			be := newBackend(t, status(code, "bad credentials"), status(code, "bad credentials"))
			h := newHarness(t, be, src, func(_ *Endpoint, o *Options) { o.RetryTimes = 10 })
			src.waitAcks(t, 1)
			if _, ups := h.sl.snapshot(); len(ups) != 2 || ups[0] || ups[1] {
				t.Fatalf("health during retries = %v, want down at once", ups)
			}
			if n, _ := h.dl.List(); len(n) != 0 {
				t.Fatal("auth failure dead-lettered")
			}
			if !h.state.Up() || h.metric(t, "prws_backend_up", map[string]string{"backend": "tsdb-a"}) != 1 {
				t.Fatal("backend not up after success")
			}
		})
	}
}

func TestHealthTransitionsLoggedOnce(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	be := newBackend(t, status(500, ""), status(500, ""), status(500, ""), status(500, ""), status(500, ""))
	h := newHarness(t, be, src, nil)
	src.waitAcks(t, 1)
	_, ups := h.sl.snapshot()
	want := []bool{true, true, false, false, false}
	if len(ups) != len(want) {
		t.Fatalf("health during retries = %v, want %v", ups, want)
	}
	for i := range want {
		if ups[i] != want[i] {
			t.Fatalf("health during retries = %v, want %v", ups, want)
		}
	}
	if w, i := h.logs.count(slog.LevelWarn, "backend unhealthy; retrying until it recovers"), h.logs.count(slog.LevelInfo, "backend healthy again"); w != 1 || i != 1 {
		t.Fatalf("logged %d unhealthy and %d healthy transitions, want 1 and 1", w, i)
	}
	st := h.w.Status()
	if !st.Up || st.ConsecutiveFailures != 0 || !strings.Contains(st.LastError, "500") || st.LastErrorTime.IsZero() || st.LastSuccessTime.IsZero() {
		t.Fatalf("status = %+v", st)
	}
}

func TestStopDuringHangingRequest(t *testing.T) {
	b0 := makeBatch(t, 0, "")
	src := newFakeSource(b0)
	var be *backend
	be = newBackend(t, func(w http.ResponseWriter, r *http.Request) { be.hang(w, r) })
	h := newHarness(t, be, src, func(ep *Endpoint, _ *Options) { ep.Timeout = time.Hour })
	select {
	case <-be.entered:
	case <-time.After(safety):
		t.Fatal("request never arrived")
	}
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	if err := h.w.Stop(ctx); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	if src.ackedCount() != 0 || h.metric(t, "prws_remote_requests_total", nil) != 0 {
		t.Fatal("interrupted batch acknowledged or counted")
	}
	if h.logs.count(slog.LevelInfo, "replay worker stopped; batch left unacknowledged for the next start") != 1 {
		t.Fatal("left batch not reported")
	}
	// The next start sends the same batch again.
	src.rewind()
	w2 := NewWorker(&h.ep, src, h.opts)
	w2.Start()
	defer w2.Stop(context.Background())
	if acks := src.waitAcks(t, 1); acks[0].First != b0.First {
		t.Fatalf("restart delivered batch %d, want %d", acks[0].First, b0.First)
	}
}

func TestStopIdempotentAndBeforeStart(t *testing.T) {
	w := NewWorker(&Endpoint{URL: "http://127.0.0.1:1/"}, newFakeSource(), Options{})
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.Start() // after Stop: no goroutine
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestQueueClosedEndsWorker(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	src.nextErr = queue.ErrClosed
	be := newBackend(t)
	h := newHarness(t, be, src, nil)
	src.waitAcks(t, 1)
	if err := h.w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestAckFailureRetriedWithoutResend(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	src.ackErrs = []error{errors.New("cursor write failed")}
	be := newBackend(t)
	h := newHarness(t, be, src, nil)
	src.waitAcks(t, 1)
	if n := len(be.requests()); n != 1 {
		t.Fatalf("got %d requests, want 1", n)
	}
	if w, _ := h.sl.snapshot(); len(w) != 1 {
		t.Fatalf("ack retry waited %d times, want 1", len(w))
	}
}

// failingSink fails its first writes, then delegates.
type failingSink struct {
	fails int
	next  DeadLetterSink
}

func (f *failingSink) Write(e deadletter.Entry) error {
	if f.fails > 0 {
		f.fails--
		return errors.New("no space left on device")
	}
	return f.next.Write(e)
}

func TestDeadLetterWriteFailureRetried(t *testing.T) {
	b0 := makeBatch(t, 0, "")
	src := newFakeSource(b0)
	be := newBackend(t, status(400, "out of order sample"))
	var sink *failingSink
	h := newHarness(t, be, src, func(_ *Endpoint, o *Options) {
		sink = &failingSink{fails: 2, next: o.DeadLetters}
		o.DeadLetters = sink
	})
	src.waitAcks(t, 1)
	if n := len(be.requests()); n != 1 {
		t.Fatalf("got %d requests, want 1", n)
	}
	checkDeadLetter(t, h, b0, 400)
}

func TestNoCredentialsInStatusOrLogs(t *testing.T) {
	be := newBackend(t)
	url := strings.Replace(be.srv.URL, "http://", "http://user:hunter2@", 1) + "/write?token=abc123"
	be.srv.Close() // every send now fails at the network level
	src := newFakeSource(makeBatch(t, 0, ""))
	logs := &logRecords{}
	sl := &sleeps{}
	w := NewWorker(&Endpoint{URL: url}, src, Options{Sleep: sl.sleep, Logger: slog.New(logs), RetryTimes: 1})
	w.Start()
	for range 1000 {
		if ws, _ := sl.snapshot(); len(ws) >= 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := w.Status()
	if st.LastError == "" || st.Up {
		t.Fatalf("status = %+v, want a failure", st)
	}
	var text strings.Builder
	text.WriteString(st.Backend + st.LastError)
	for _, r := range logs.recs {
		r.Attrs(func(a slog.Attr) bool { text.WriteString(a.Value.String()); return true })
	}
	for _, secret := range []string{"hunter2", "abc123"} {
		if strings.Contains(text.String(), secret) {
			t.Fatalf("secret %q leaked: %s", secret, text.String())
		}
	}
}
