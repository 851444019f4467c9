package replay

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/deadletter"
)

// deadKeys returns the samples of every dead letter in dl as
// "series@timestamp" keys, checking each entry's sample count and status.
func deadKeys(t *testing.T, dl *deadletter.Log, code int) []string {
	t.Helper()
	metas, err := dl.List()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range metas {
		e, err := dl.Read(m.Name)
		if err != nil {
			t.Fatal(err)
		}
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(e.Body); err != nil {
			t.Fatal(err)
		}
		n := len(out)
		for i := range wr.Timeseries {
			out = appendKeys(out, &wr.Timeseries[i])
		}
		if e.Samples != len(out)-n || e.Status != code || e.Message == "" {
			t.Fatalf("dead letter %s: samples %d status %d message %q; holds %d samples",
				m.Name, e.Samples, e.Status, e.Message, len(out)-n)
		}
	}
	return out
}

// sameSet fails unless got holds exactly the keys of want, each once.
func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Fatalf("%s: got %d samples %v, want %d %v", what, len(g), g, len(w), w)
	}
}

// ceilLog2 returns ⌈log2 n⌉ for n ≥ 1.
func ceilLog2(n int) int { return int(math.Ceil(math.Log2(float64(n)))) }

// randomSpecs returns n series of 1..maxSamples samples each, bad of
// them labelled bad and negative valid series with one negative sample,
// at random positions; it returns the keys expected delivered and
// dead-lettered and the number of bad units (series or samples).
func randomSpecs(t *testing.T, r *rand.Rand, n, maxSamples, bad, negative int) ([]seriesSpec, int) {
	t.Helper()
	specs := make([]seriesSpec, n)
	for i := range specs {
		specs[i] = seriesSpec{i: i, samples: 1 + r.IntN(maxSamples)}
	}
	perm := r.Perm(n)
	for _, i := range perm[:bad] {
		specs[i].bad = true
	}
	for _, i := range perm[bad : bad+negative] {
		specs[i].negative = []int{r.IntN(specs[i].samples)}
	}
	return specs, bad + negative
}

// expected splits the keys of specs into what the judge accepts and
// what it refuses.
func expected(specs []seriesSpec) (ok, refused []string) {
	for _, sp := range specs {
		for s := range sp.samples {
			key := strconv.Itoa(sp.i) + "@" + strconv.Itoa(1000*sp.i+s)
			if sp.bad || slices.Contains(sp.negative, s) {
				refused = append(refused, key)
			} else {
				ok = append(ok, key)
			}
		}
	}
	return ok, refused
}

func TestSplitDeliversEverythingButWhatIsRefused(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 12 {
		const n, maxSamples = 50, 3
		bad, negative := 1+r.IntN(3), r.IntN(3)
		specs, units := randomSpecs(t, r, n, maxSamples, bad, negative)
		b, _ := specBatch(t, 7, specs)
		code := []int{400, 409, 422}[round%3]
		j := &judge{code: code}
		be := newBackend(t)
		be.setFallback(j.ServeHTTP)
		src := newFakeSource(b)
		h := newHarness(t, be, src, nil)
		src.waitAcks(t, 1)

		ok, refused := expected(specs)
		sameSet(t, "delivered", j.samples(), ok)
		sameSet(t, "dead-lettered", deadKeys(t, h.dl, code), refused)
		if got := h.metric(t, "prws_remote_dead_letter_samples_total", nil); got != float64(len(refused)) {
			t.Fatalf("dead-letter samples metric = %v, want %d", got, len(refused))
		}
		if got := h.metric(t, "prws_remote_samples_sent_total", nil); got != float64(len(ok)) {
			t.Fatalf("samples sent metric = %v, want %d", got, len(ok))
		}
		splits := int(h.metric(t, "prws_remote_batch_splits_total", map[string]string{"backend": "tsdb-a"}))
		requests, empty := j.counts()
		// The whole batch, one probe, then two parts per division.
		if requests != 2+2*splits || empty != 1 {
			t.Fatalf("%d requests (%d empty) for %d splits", requests, empty, splits)
		}
		if limit := units * (ceilLog2(n) + ceilLog2(maxSamples)); splits > limit {
			t.Fatalf("%d splits for %d bad units in %d series, bound %d", splits, units, n, limit)
		}
		t.Logf("round %d: %d series, %d bad series, %d bad samples: %d splits, %d requests",
			round, n, bad, negative, splits, requests)
		_ = h.w.Stop(context.Background())
	}
}

func TestSplitOneOutOfOrderSample(t *testing.T) {
	specs := make([]seriesSpec, 51)
	for i := range specs {
		specs[i] = seriesSpec{i: i, samples: 1}
	}
	specs[37].negative = []int{0}
	b, _ := specBatch(t, 1, specs)
	j := &judge{code: http.StatusBadRequest}
	be := newBackend(t)
	be.setFallback(j.ServeHTTP)
	src := newFakeSource(b)
	h := newHarness(t, be, src, nil)
	src.waitAcks(t, 1)
	ok, refused := expected(specs)
	sameSet(t, "delivered", j.samples(), ok)
	sameSet(t, "dead-lettered", deadKeys(t, h.dl, 400), refused)
	splits := h.metric(t, "prws_remote_batch_splits_total", nil)
	requests, _ := j.counts()
	t.Logf("51 series, 1 out-of-order sample: %v splits, %d requests", splits, requests)
	if splits > float64(ceilLog2(51)) {
		t.Fatalf("%v splits, want at most %d", splits, ceilLog2(51))
	}
}

func TestBackendRefusingEverythingIsRetriedNotSplit(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		times  int // answers with code before the backend is fixed
		probes float64
	}{
		{"wrong path", 404, 3, 0},
		{"method", 405, 3, 0},
		{"auth", 401, 3, 0},
		{"forbidden", 403, 3, 0},
		{"400 even when empty", 400, 6, 3}, // batch, probe, three times
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, keys := specBatch(t, 3, []seriesSpec{{i: 0, samples: 2}, {i: 1, samples: 1}, {i: 2, samples: 3}})
			var script []step
			for range tt.times {
				script = append(script, status(tt.code, "nope"))
			}
			be := newBackend(t, script...)
			j := &judge{code: 400}
			be.setFallback(j.ServeHTTP)
			src := newFakeSource(b)
			h := newHarness(t, be, src, nil)
			src.waitAcks(t, 1)
			sameSet(t, "delivered", j.samples(), keys)
			if n, _ := h.dl.List(); len(n) != 0 {
				t.Fatalf("%d dead letters", len(n))
			}
			if s := h.metric(t, "prws_remote_batch_splits_total", nil); s != 0 {
				t.Fatalf("%v splits", s)
			}
			if p := h.metric(t, "prws_remote_probe_requests_total", nil); p != tt.probes {
				t.Fatalf("%v probes, want %v", p, tt.probes)
			}
			if n := h.logs.count(slog.LevelWarn, "backend unhealthy; retrying until it recovers"); n != 1 {
				t.Fatalf("backend marked down %d times, want 1 (at the first refusal)", n)
			}
			if r := h.metric(t, "prws_remote_retries_total", nil); r != 3 {
				t.Fatalf("%v retries, want 3", r)
			}
			if up, refusing := h.metric(t, "prws_backend_up", nil), h.metric(t, "prws_backend_refusing_all", nil); up != 1 || refusing != 0 {
				t.Fatalf("after recovery up = %v, refusing_all = %v", up, refusing)
			}
		})
	}
}

func TestRefusingEverythingSetsGauge(t *testing.T) {
	b, _ := specBatch(t, 3, []seriesSpec{{i: 0, samples: 1}})
	be := newBackend(t)
	be.setFallback(status(404, "404 page not found"))
	src := newFakeSource(b)
	h := newHarness(t, be, src, nil)
	for range 3 {
		<-be.entered
	}
	_ = h.w.Stop(context.Background())
	if up, refusing := h.metric(t, "prws_backend_up", nil), h.metric(t, "prws_backend_refusing_all", nil); up != 0 || refusing != 1 {
		t.Fatalf("up = %v, refusing_all = %v; want 0, 1", up, refusing)
	}
	if src.ackedCount() != 0 {
		t.Fatal("a batch refused by a wrong path was acknowledged")
	}
}

func TestSplitResumesTheSamePartAfterRestart(t *testing.T) {
	specs := make([]seriesSpec, 16)
	for i := range specs {
		specs[i] = seriesSpec{i: i, samples: 2}
	}
	specs[5].bad, specs[12].negative = true, []int{1}
	b, _ := specBatch(t, 1, specs)
	j := &judge{code: 422}
	var seen atomic.Int32
	be := newBackend(t)
	const hangAt = 6 // whole, probe, 0..8 refused, 0..4, 4..8 refused, then 4..6
	be.setFallback(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) == hangAt {
			be.hang(w, r)
			return
		}
		j.ServeHTTP(w, r)
	})
	src := newFakeSource(b)
	h := newHarness(t, be, src, nil)
	for range hangAt {
		<-be.entered
	}
	if err := h.w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if src.ackedCount() != 0 || len(src.splits) == 0 {
		t.Fatalf("acked %d, splits recorded %v", src.ackedCount(), src.splits)
	}
	src.rewind()
	h2 := newHarness(t, be, src, nil)
	src.waitAcks(t, 1)

	reqs := be.requests()
	if !bytes.Equal(reqs[hangAt-1].body, reqs[hangAt].body) {
		t.Fatal("the part in flight was not resent first, byte for byte")
	}
	ok, refused := expected(specs)
	sameSet(t, "delivered", j.samples(), ok) // the hung part never reached the judge
	sameSet(t, "dead-lettered", append(deadKeys(t, h.dl, 422), deadKeys(t, h2.dl, 422)...), refused)
}

// v2Judge is judge for a 2.0 backend: it reads the 2.0 request, refuses
// a request holding a series labelled bad="1" and records the rest.
func v2Judge(t *testing.T, j *judge) step {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != contentTypeV2 {
			http.Error(w, "want 2.0", http.StatusUnsupportedMediaType)
			return
		}
		body, _ := io.ReadAll(r.Body)
		req := decodeV2(t, request{header: r.Header, body: body})
		j.mu.Lock()
		defer j.mu.Unlock()
		j.requests++
		if len(req.Timeseries) == 0 {
			j.empty++
		}
		var accepted []prompb.TimeSeries
		for _, ts := range req.Timeseries {
			var out prompb.TimeSeries
			for i := 0; i+1 < len(ts.LabelsRefs); i += 2 {
				out.Labels = append(out.Labels, prompb.Label{Name: req.Symbols[ts.LabelsRefs[i]], Value: req.Symbols[ts.LabelsRefs[i+1]]})
			}
			for _, s := range ts.Samples {
				out.Samples = append(out.Samples, prompb.Sample{Value: s.Value, Timestamp: s.Timestamp})
			}
			if why := refusal(&out); why != "" {
				http.Error(w, why, http.StatusBadRequest)
				return
			}
			accepted = append(accepted, out)
		}
		j.delivered = append(j.delivered, accepted...)
		w.Header().Set("X-Prometheus-Remote-Write-Samples-Written", strconv.Itoa(len(accepted)))
		w.WriteHeader(http.StatusNoContent)
	}
}

// A 2.0 backend gets the parts converted: the split works on the 1.0
// batch, before conversion, and no part falls back to 1.0.
func TestSplitForAV2Backend(t *testing.T) {
	specs := []seriesSpec{{i: 0, samples: 2}, {i: 1, samples: 1, bad: true}, {i: 2, samples: 3, negative: []int{1}},
		{i: 3, samples: 1}, {i: 4, samples: 2}}
	b, _ := specBatch(t, 1, specs)
	j := &judge{code: 400}
	be := newBackend(t)
	be.setFallback(v2Judge(t, j))
	src := newFakeSource(b)
	h := newHarness(t, be, src, useV2)
	src.waitAcks(t, 1)
	ok, refused := expected(specs)
	sameSet(t, "delivered", j.samples(), ok)
	sameSet(t, "dead-lettered", deadKeys(t, h.dl, 400), refused)
	if _, empty := j.counts(); empty != 1 {
		t.Fatalf("%d empty 2.0 probes, want 1", empty)
	}
	for _, r := range be.requests() {
		if r.header.Get("Content-Type") != contentTypeV2 {
			t.Fatal("a part was sent as 1.0")
		}
	}
}
