package watchdog

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeBackend is an httptest remote-write receiver whose answer can be
// switched. It counts probes and data writes apart.
type fakeBackend struct {
	srv    *httptest.Server
	status atomic.Int32 // answer to every request
	probes atomic.Int64
	writes atomic.Int64 // non-probe requests
	badReq atomic.Int64 // probes that were not a valid empty write

	hang    chan struct{} // if set, requests block until it is closed
	arrived chan struct{} // if set, signalled when a request arrives
}

func newFakeBackend(t *testing.T) *fakeBackend {
	f := &fakeBackend{}
	f.status.Store(http.StatusNoContent)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// newHangingBackend answers nothing until the test ends.
func newHangingBackend(t *testing.T) *fakeBackend {
	f := &fakeBackend{hang: make(chan struct{}), arrived: make(chan struct{}, 64)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() { close(f.hang) }) // runs first: unblocks handlers
	return f
}

func (f *fakeBackend) serve(w http.ResponseWriter, r *http.Request) {
	if f.hang != nil {
		f.arrived <- struct{}{}
		<-f.hang
		return
	}
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get("User-Agent") != UserAgent {
		f.writes.Add(1)
	} else {
		f.probes.Add(1)
		if !validProbe(r, body) {
			f.badReq.Add(1)
		}
	}
	w.WriteHeader(int(f.status.Load()))
}

// validProbe checks the request is an empty remote-write 1.0 write.
func validProbe(r *http.Request, body []byte) bool {
	raw, err := snappy.Decode(nil, body)
	return err == nil && len(raw) == 0 && r.Method == http.MethodPost &&
		r.Header.Get("Content-Encoding") == "snappy" &&
		r.Header.Get("Content-Type") == "application/x-protobuf" &&
		r.Header.Get("X-Prometheus-Remote-Write-Version") == "0.1.0"
}

// targets returns one Target per backend, named b0, b1, ...
func targets(bs ...*fakeBackend) []Target {
	ts := make([]Target, len(bs))
	for i, b := range bs {
		ts[i] = Target{Name: "b" + string(rune('0'+i)), URL: b.srv.URL + "/api/v1/write", Client: b.srv.Client()}
	}
	return ts
}

// rounds runs n probe rounds.
func rounds(w *Watchdog, n int) {
	for range n {
		w.ProbeOnce(context.Background())
	}
}

// value reads a counter or gauge.
func value(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// chanTicker is a Ticker driven by the test.
type chanTicker struct{ c chan time.Time }

func (t chanTicker) C() <-chan time.Time { return t.c }
func (t chanTicker) Stop()               {}

var errDialForTest = errors.New("connection refused")

var urlErrorForTest = url.Error{Op: "Post", URL: "http://u:secret@127.0.0.1:1/w?token=secret", Err: errDialForTest}
