package replay

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
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
	h.w = mustWorker(&h.ep, src, h.opts)
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
		if !bytes.Equal(raw, rawBody(t, batches[i])) {
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
	if left, ok := h.w.Left(); !ok || left.First != b0.First || left.Last != b0.Last || left.Snappy != nil {
		t.Fatalf("Left = %+v, %v", left, ok)
	}
	// The next start sends the same batch again.
	src.rewind()
	w2 := mustWorker(&h.ep, src, h.opts)
	w2.Start()
	defer w2.Stop(context.Background())
	if acks := src.waitAcks(t, 1); acks[0].First != b0.First {
		t.Fatalf("restart delivered batch %d, want %d", acks[0].First, b0.First)
	}
}

func TestStopIdempotentAndBeforeStart(t *testing.T) {
	w := mustWorker(&Endpoint{URL: "http://127.0.0.1:1/"}, newFakeSource(), Options{})
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
	b0, _ := specBatch(t, 0, []seriesSpec{{i: 0, samples: 1}})
	src := newFakeSource(b0)
	be := newBackend(t, status(400, "out of order sample"))
	var sink *failingSink
	h := newHarness(t, be, src, func(_ *Endpoint, o *Options) {
		sink = &failingSink{fails: 2, next: o.DeadLetters}
		o.DeadLetters = sink
	})
	src.waitAcks(t, 1)
	if n := len(be.requests()); n != 2 {
		t.Fatalf("got %d requests, want 2 (the batch, an empty probe)", n)
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
	w := mustWorker(&Endpoint{URL: url}, src, Options{Sleep: sl.sleep, Logger: slog.New(logs), RetryTimes: 1})
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

// stuckSource ignores cancellation until released, like a Source blocked
// in I/O.
type stuckSource struct{ release chan struct{} }

func (s stuckSource) NextBatch(context.Context, int) (queue.Batch, error) {
	<-s.release
	return queue.Batch{}, queue.ErrClosed
}

func (s stuckSource) SetSplit(queue.Batch, queue.Split) error { return nil }

func (s stuckSource) Ack(queue.Batch) error { return nil }

func TestStopBoundedBySourceThatIgnoresCancel(t *testing.T) {
	src := stuckSource{release: make(chan struct{})}
	w := mustWorker(&Endpoint{URL: "http://127.0.0.1:1/"}, src, Options{})
	w.Start()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Stop = %v, want context.Canceled", err)
	}
	close(src.release)
	if err := w.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop = %v", err)
	}
}

// mustWorker is NewWorker for tests; refused batches go to a memSink
// unless opts has DeadLetters.
func mustWorker(ep *Endpoint, src Source, opts Options) *Worker {
	if opts.DeadLetters == nil {
		opts.DeadLetters = &memSink{}
	}
	w, err := NewWorker(ep, src, opts)
	if err != nil {
		panic(err) // DeadLetters is set: NewWorker cannot fail
	}
	return w
}

func TestNewWorkerRequiresDeadLetters(t *testing.T) {
	if w, err := NewWorker(&Endpoint{URL: "http://127.0.0.1:1/"}, newFakeSource(), Options{}); !errors.Is(err, ErrNoDeadLetters) || w != nil {
		t.Fatalf("NewWorker without DeadLetters: %v, %v", w, err)
	}
}
