package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/internal/testenv"
)

// recorder is an httptest remote-write backend that decodes every request
// and records each sample it accepted, keyed by series. fail, when set,
// decides the status of a request instead (0 = accept).
type recorder struct {
	srv  *httptest.Server
	fail atomic.Pointer[func() int]

	mu       sync.Mutex         // guards the fields below
	samples  map[string][]int64 // series -> timestamps in arrival order
	requests int
	metadata int
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{samples: map[string][]int64{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) URL() string { return r.srv.URL + "/api/v1/write" }

// setFail makes the backend answer status (0: accept again).
func (r *recorder) setFail(status int) {
	f := func() int { return status }
	r.fail.Store(&f)
}

func (r *recorder) serve(w http.ResponseWriter, req *http.Request) {
	if f := r.fail.Load(); f != nil {
		if code := (*f)(); code != 0 {
			http.Error(w, "injected failure", code)
			return
		}
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	wr, err := testenv.DecodeWrite(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.record(wr)
	w.WriteHeader(http.StatusNoContent)
}

func (r *recorder) record(wr *prompb.WriteRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	r.metadata += len(wr.Metadata)
	for _, ts := range wr.Timeseries {
		key := seriesKey(ts.Labels)
		for _, s := range ts.Samples {
			r.samples[key] = append(r.samples[key], s.Timestamp)
		}
	}
}

// snapshot copies the recorded samples.
func (r *recorder) snapshot() map[string][]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string][]int64, len(r.samples))
	for k, v := range r.samples {
		out[k] = append([]int64(nil), v...)
	}
	return out
}

func (r *recorder) sampleCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, v := range r.samples {
		n += len(v)
	}
	return n
}

func seriesKey(ls []prompb.Label) string {
	b := labels.NewScratchBuilder(len(ls))
	for _, l := range ls {
		b.Add(l.Name, l.Value)
	}
	b.Sort()
	return b.Labels().String()
}
