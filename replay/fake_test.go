package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/queue"
)

// safety bounds a wait for an event that must happen; reaching it is a
// failure, never a timing assertion.
const safety = 10 * time.Second

// fakeSource is an in-memory queue: pending batches in order, a read
// position past the acknowledged cursor, acks checked for order.
type fakeSource struct {
	mu      sync.Mutex // guards every field below
	pending []queue.Batch
	read    int // index in pending of the next batch to hand out
	acked   []queue.Batch
	maxSeen int           // maxSamples of the last NextBatch
	limits  []int         // maxSamples of every NextBatch, in order
	ackErrs []error       // returned by the next Acks, in order
	nextErr error         // returned by NextBatch once the batches are exhausted
	split   queue.Split   // of the batch in flight, as SetSplit recorded it
	splits  []queue.Split // every SetSplit, in order

	ackCh chan queue.Batch
}

func newFakeSource(batches ...queue.Batch) *fakeSource {
	return &fakeSource{pending: batches, ackCh: make(chan queue.Batch, 1024)}
}

func (f *fakeSource) NextBatch(ctx context.Context, maxSamples int) (queue.Batch, error) {
	f.mu.Lock()
	f.maxSeen = maxSamples
	f.limits = append(f.limits, maxSamples)
	if f.read < len(f.pending) {
		b := f.pending[f.read]
		if f.read == 0 {
			b.Split = f.split
		}
		f.read++
		b.More = f.read < len(f.pending) // a real queue says so when it cut the batch
		b.Waiting = 0
		for _, rest := range f.pending[f.read:] {
			b.Waiting += uint64(rest.Samples)
		}
		f.mu.Unlock()
		b.Snappy = bytes.Clone(b.Snappy)
		return b, nil
	}
	err := f.nextErr
	f.mu.Unlock()
	if err != nil {
		return queue.Batch{}, err
	}
	<-ctx.Done()
	return queue.Batch{}, ctx.Err()
}

func (f *fakeSource) Ack(b queue.Batch) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.ackErrs) > 0 {
		err := f.ackErrs[0]
		f.ackErrs = f.ackErrs[1:]
		return err
	}
	if len(f.pending) == 0 || f.read == 0 || f.pending[0].First != b.First {
		return errors.New("fake: ack out of order")
	}
	f.pending, f.read = f.pending[1:], f.read-1
	f.split = queue.Split{}
	f.acked = append(f.acked, b)
	f.ackCh <- b
	return nil
}

func (f *fakeSource) SetSplit(b queue.Batch, s queue.Split) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.pending) == 0 || f.read == 0 || f.pending[0].First != b.First {
		return errors.New("fake: split of a batch not in flight")
	}
	f.split = s
	f.splits = append(f.splits, s)
	return nil
}

// rewind simulates a reopen: reading restarts at the acknowledged cursor.
func (f *fakeSource) rewind() {
	f.mu.Lock()
	f.read = 0
	f.mu.Unlock()
}

func (f *fakeSource) ackedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.acked)
}

// waitAcks waits for n acknowledgements and returns them.
func (f *fakeSource) waitAcks(t *testing.T, n int) []queue.Batch {
	t.Helper()
	var out []queue.Batch
	for len(out) < n {
		select {
		case b := <-f.ackCh:
			out = append(out, b)
		case <-time.After(safety):
			t.Fatalf("got %d acknowledgements, want %d", len(out), n)
		}
	}
	return out
}

// makeBatch returns batch i: a real WriteRequest with two series.
func makeBatch(t testing.TB, i int, tenant string) queue.Batch {
	t.Helper()
	req := &prompb.WriteRequest{}
	for s := range 2 {
		req.Timeseries = append(req.Timeseries, prompb.TimeSeries{
			Labels:  []prompb.Label{{Name: "__name__", Value: "up"}, {Name: "job", Value: fmt.Sprintf("j%d-%d", i, s)}},
			Samples: []prompb.Sample{{Value: float64(i), Timestamp: int64(1000 + i)}, {Value: 1, Timestamp: int64(2000 + i)}},
		})
	}
	body, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return queue.Batch{First: uint64(10 * i), Last: uint64(10*i + 1), Tenant: tenant, Samples: 4, Records: 2,
		Snappy: snappy.Encode(nil, body)}
}

// rawBody returns b's uncompressed WriteRequest.
func rawBody(t testing.TB, b queue.Batch) []byte {
	t.Helper()
	raw, err := b.AppendBody(nil)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// request is what the fake backend received.
type request struct {
	header http.Header
	body   []byte
}

// step answers one request.
type step func(w http.ResponseWriter, r *http.Request)

func status(code int, msg string) step {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, msg)
	}
}

func withRetryAfter(code int, v string) step {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", v)
		w.WriteHeader(code)
	}
}

// reset hijacks the connection and closes it without an answer.
func reset(w http.ResponseWriter, r *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// backend is an httptest remote-write receiver that answers the scripted
// steps in order, then 200.
type backend struct {
	srv *httptest.Server

	mu          sync.Mutex // guards every field below
	script      []step
	fallback    step // answers once the script is done; nil: 200
	reqs        []request
	inFlight    int
	maxInFlight int

	entered chan struct{} // receives once per request, non-blocking
	release chan struct{} // closed to end hanging requests
}

func newBackend(t *testing.T, script ...step) *backend {
	t.Helper()
	b := &backend{script: script, entered: make(chan struct{}, 1024), release: make(chan struct{})}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(func() {
		close(b.release)
		b.srv.Close()
	})
	return b
}

func (b *backend) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	b.reqs = append(b.reqs, request{header: r.Header.Clone(), body: body})
	b.inFlight++
	b.maxInFlight = max(b.maxInFlight, b.inFlight)
	var st step = status(http.StatusOK, "")
	if b.fallback != nil {
		st = b.fallback
	}
	if len(b.script) > 0 {
		st, b.script = b.script[0], b.script[1:]
	}
	b.mu.Unlock()
	b.entered <- struct{}{}
	r.Body = io.NopCloser(bytes.NewReader(body))
	st(w, r)
	b.mu.Lock()
	b.inFlight--
	b.mu.Unlock()
}

// setFallback sets the step that answers once the script is done.
func (b *backend) setFallback(st step) {
	b.mu.Lock()
	b.fallback = st
	b.mu.Unlock()
}

// hang holds the request until the client gives up or the test ends.
func (b *backend) hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-b.release:
	}
}

func (b *backend) requests() []request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]request(nil), b.reqs...)
}

// sleeps records the waits a worker asks for and returns at once.
type sleeps struct {
	mu    sync.Mutex // guards waits, ups
	waits []time.Duration
	ups   []bool // backend health at each wait
	state *BackendState
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	if s.state != nil {
		s.ups = append(s.ups, s.state.Up())
	}
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) snapshot() ([]time.Duration, []bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...), append([]bool(nil), s.ups...)
}

// logRecords collects slog records.
type logRecords struct {
	mu   sync.Mutex // guards recs
	recs []slog.Record
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.recs = append(l.recs, r.Clone())
	l.mu.Unlock()
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }

// count returns how many records at level have msg.
func (l *logRecords) count(level slog.Level, msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.recs {
		if r.Level == level && r.Message == msg {
			n++
		}
	}
	return n
}

// metricValue returns a counter's or gauge's value, or a histogram's
// sample count, for the series of name carrying all labels.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if hasLabels(m.GetLabel(), labels) {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}

func hasLabels[L interface {
	GetName() string
	GetValue() string
}](got []L, want map[string]string) bool {
	n := 0
	for _, l := range got {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(want)
}
