package replay

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/queue"
)

// judge is a remote-write 1.0 receiver that refuses, as a whole and with
// code, every request holding a series labelled bad="1" or a sample with
// a negative value, and records the series of the requests it accepts.
// Empty requests are accepted. Safe for concurrent use.
type judge struct {
	code int

	mu        sync.Mutex // guards every field below
	delivered []prompb.TimeSeries
	requests  int
	empty     int
}

func (j *judge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	raw, err := snappy.Decode(nil, body)
	var wr prompb.WriteRequest
	if err == nil {
		err = wr.Unmarshal(raw)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.requests++
	if len(wr.Timeseries) == 0 && len(wr.Metadata) == 0 {
		j.empty++
	}
	for _, ts := range wr.Timeseries {
		if why := refusal(&ts); why != "" {
			http.Error(w, why, j.code)
			return
		}
	}
	j.delivered = append(j.delivered, wr.Timeseries...)
	w.WriteHeader(http.StatusNoContent)
}

// refusal says why the judge refuses ts, "" when it does not.
func refusal(ts *prompb.TimeSeries) string {
	for _, l := range ts.Labels {
		if l.Name == "bad" && l.Value == "1" {
			return "bad series " + seriesName(ts)
		}
	}
	for _, s := range ts.Samples {
		if s.Value < 0 {
			return fmt.Sprintf("out of order sample %s@%d", seriesName(ts), s.Timestamp)
		}
	}
	return ""
}

func seriesName(ts *prompb.TimeSeries) string {
	for _, l := range ts.Labels {
		if l.Name == "i" {
			return l.Value
		}
	}
	return "?"
}

// counts returns the requests and the empty ones so far.
func (j *judge) counts() (requests, empty int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.requests, j.empty
}

// samples returns the accepted samples as "series@timestamp" keys.
func (j *judge) samples() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []string
	for i := range j.delivered {
		out = appendKeys(out, &j.delivered[i])
	}
	return out
}

func appendKeys(dst []string, ts *prompb.TimeSeries) []string {
	for _, s := range ts.Samples {
		dst = append(dst, fmt.Sprintf("%s@%d", seriesName(ts), s.Timestamp))
	}
	return dst
}

// client returns an HTTP client that hands every request to h in
// process, for tests that send thousands of requests.
func inProcessClient(h http.Handler) *http.Client {
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Result(), nil
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// seriesSpec describes one series of a test batch: its index (label i),
// its sample count, whether it is labelled bad and which of its samples
// (by position) are negative.
type seriesSpec struct {
	i, samples int
	bad        bool
	negative   []int
}

// specBatch builds a batch of the given series; sample s of series i has
// timestamp 1000*i+s and value i+1, or -1 when negative.
func specBatch(t testing.TB, first uint64, specs []seriesSpec) (queue.Batch, []string) {
	t.Helper()
	req := &prompb.WriteRequest{}
	var keys []string
	for _, sp := range specs {
		ts := prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "m"}, {Name: "i", Value: fmt.Sprint(sp.i)}}}
		if sp.bad {
			ts.Labels = append(ts.Labels, prompb.Label{Name: "bad", Value: "1"})
		}
		for s := range sp.samples {
			v := float64(sp.i + 1)
			for _, n := range sp.negative {
				if n == s {
					v = -1
				}
			}
			ts.Samples = append(ts.Samples, prompb.Sample{Value: v, Timestamp: int64(1000*sp.i + s)})
		}
		keys = appendKeys(keys, &ts)
		req.Timeseries = append(req.Timeseries, ts)
	}
	body, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return queue.Batch{First: first, Last: first, Samples: len(keys), Records: 1, Snappy: snappy.Encode(nil, body)}, keys
}
