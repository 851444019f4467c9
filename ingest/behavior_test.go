package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/prws/prws/queue"
)

// serveAsync runs one request with the given header name, value pairs in
// the background; finished is closed when ServeHTTP returned.
func serveAsync(b *testBed, ctx context.Context, body []byte, hdr ...string) (*httptest.ResponseRecorder, chan struct{}) {
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)).WithContext(ctx)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		b.h.ServeHTTP(w, req)
	}()
	return w, finished
}

// holdAll makes every target hold done until release is closed and report
// each Submit on the returned channel.
func holdAll(b *testBed) (release chan struct{}, submitted chan struct{}) {
	release, submitted = make(chan struct{}), make(chan struct{}, 64)
	b.each(func(_, _ int, tg *recTarget) { tg.hold, tg.submitted = release, submitted })
	return release, submitted
}

func TestAnswersOnlyAfterDone(t *testing.T) {
	b := newBed(t, Options{}, 1, 1, 1)
	release, submitted := holdAll(b)
	w, finished := serveAsync(b, context.Background(), compress(marshal(t, richRequest())))
	<-submitted
	select {
	case <-finished:
		t.Fatalf("answered %d before the queue reported durable", w.Code)
	default:
	}
	close(release)
	<-finished
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
}

func TestClientGoneStillWaitsForQueues(t *testing.T) {
	b := newBed(t, Options{}, 1, 1, 1)
	release, submitted := holdAll(b)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, finished := serveAsync(b, ctx, compress(marshal(t, richRequest())))
	<-submitted
	select {
	case <-finished:
		t.Fatal("returned while the queue still held the done channel")
	default:
	}
	close(release)
	<-finished
}

func TestTargetErrorIs503(t *testing.T) {
	for _, err := range []error{queue.ErrClosed, errors.New("fsync: input/output error"),
		fmt.Errorf("queue 3: %w", errors.New("disk full"))} {
		t.Run(err.Error(), func(t *testing.T) {
			b := newBed(t, Options{RetryAfter: 2500e6}, 3, 2, 2)
			b.targets[1][0].err, b.targets[1][1].err = err, err
			w := b.post(compress(marshal(t, nodeExporterRequest(200))))
			expectStatus(t, w.Code, w.Body.String(), http.StatusServiceUnavailable, err.Error())
			expectRetryAfter(t, w.Header(), "3")
		})
	}
}

func TestNotReadyAndNoRouting(t *testing.T) {
	body := compress(marshal(t, richRequest()))
	b := newBed(t, Options{}, 1, 1, 1)
	b.h.SetReady(false)
	w := b.post(body)
	expectStatus(t, w.Code, w.Body.String(), http.StatusServiceUnavailable, "shutting down")
	expectRetryAfter(t, w.Header(), "5")
	b.h.SetReady(true)
	b.h.SetRouting(nil)
	w = b.post(body)
	expectStatus(t, w.Code, w.Body.String(), http.StatusServiceUnavailable, "no routing")
	expectUntouched(t, b)
	b.h.SetRouting(b.rt)
	w = b.post(body)
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
}

func TestInflightBudget(t *testing.T) {
	body := compress(marshal(t, nodeExporterRequest(10)))
	b := newBed(t, Options{MaxInflightBytes: 100}, 1, 1, 1)
	release, submitted := holdAll(b)
	_, finished := serveAsync(b, context.Background(), body) // alone: admitted
	<-submitted
	w := b.post(body)
	expectStatus(t, w.Code, w.Body.String(), http.StatusServiceUnavailable, "overloaded")
	expectRetryAfter(t, w.Header(), "5")
	close(release)
	<-finished
	if got := b.h.inflight.Load(); got != 0 {
		t.Fatalf("in-flight bytes %d after all requests", got)
	}
	w = b.post(body)
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
}

func TestRoutingErrorIs500(t *testing.T) {
	b := newBed(t, Options{Logger: slog.New(slog.DiscardHandler)}, 2, 1, 2)
	bad := *b.rt
	bad.Targets = bad.Targets[:1] // ring still answers backend 1
	b.h.SetRouting(&bad)
	w := b.post(compress(marshal(t, nodeExporterRequest(50))))
	expectStatus(t, w.Code, w.Body.String(), http.StatusInternalServerError, "internal routing error")
	expectUntouched(t, b)
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	b := newBed(t, Options{Limiter: &countLimiter{even: true}}, 2, 1, 1)
	b.h = NewHandler(Options{Limiter: &countLimiter{even: true}}, m)
	b.h.SetRouting(b.rt)
	body := compress(marshal(t, nodeExporterRequest(100)))
	b.post(body)
	b.post(body, "Content-Encoding", "gzip")
	keep, drop := value(t, m.seriesKeep), value(t, m.seriesDrop)
	if keep+drop != 100 || keep == 0 || drop == 0 {
		t.Fatalf("keep %v drop %v", keep, drop)
	}
	if got := value(t, m.samples); got != keep {
		t.Fatalf("samples %v, want %v", got, keep)
	}
	if value(t, m.requests.WithLabelValues("204")) != 1 || value(t, m.requests.WithLabelValues("415")) != 1 {
		t.Fatal("requests_total by code wrong")
	}
	if value(t, m.bytesCompressed) != float64(len(body)) || value(t, m.bytesDecoded) == 0 {
		t.Fatal("bytes_total wrong")
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, f := range families {
		registered[f.GetName()] = true
	}
	for _, name := range []string{"prws_series_keep_total", "prws_series_drop_total", "prws_ingest_requests_total",
		"prws_ingest_samples_total", "prws_ingest_request_duration_seconds", "prws_ingest_bytes_total", "prws_ingest_inflight_bytes"} {
		if !registered[name] {
			t.Fatalf("%s not registered", name)
		}
	}
}

// value reads a counter or gauge.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}
