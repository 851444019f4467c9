package replay

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/queue"
)

// roundBatches returns rounds batches of the same series (label i = 0..n-1,
// plus bad="1" on series bad when bad >= 0), perSeries samples each per
// batch, carried by three entries per series, one after the other as the
// records of three requests would: sample s of round r has timestamp
// 100*r+s, so a series' samples are in order across the entries and the
// batches. It returns the keys of every sample.
func roundBatches(t *testing.T, rounds, n, perSeries, bad int) ([]queue.Batch, []string) {
	t.Helper()
	const reps = 3
	var out []queue.Batch
	var keys []string
	for r := range rounds {
		req := &prompb.WriteRequest{Metadata: []prompb.MetricMetadata{{MetricFamilyName: "m", Help: "h", Type: prompb.MetricMetadata_GAUGE}}}
		for rep := range reps {
			for i := range n {
				ts := prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "m"}, {Name: "i", Value: fmt.Sprint(i)}}}
				if i == bad {
					ts.Labels = append(ts.Labels, prompb.Label{Name: "bad", Value: "1"})
				}
				for s := rep * perSeries / reps; s < (rep+1)*perSeries/reps; s++ {
					ts.Samples = append(ts.Samples, prompb.Sample{Value: float64(i + 1), Timestamp: int64(100*r + s)})
				}
				if len(ts.Samples) == 0 {
					continue
				}
				keys = appendKeys(keys, &ts)
				req.Timeseries = append(req.Timeseries, ts)
			}
		}
		body, err := req.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		first := uint64(10*r + 1)
		out = append(out, queue.Batch{First: first, Last: first + 9, Samples: n * perSeries, Records: 10, Snappy: snappy.Encode(nil, body)})
	}
	return out, keys
}

// inOrder fails unless every series the judge accepted has increasing
// timestamps in the order the judge accepted them.
func inOrder(t *testing.T, j *judge) {
	t.Helper()
	j.mu.Lock()
	defer j.mu.Unlock()
	last := map[string]int64{}
	for _, ts := range j.delivered {
		name := seriesName(&ts)
		for _, s := range ts.Samples {
			if prev, ok := last[name]; ok && s.Timestamp <= prev {
				t.Fatalf("series %s: sample %d after %d", name, s.Timestamp, prev)
			}
			last[name] = s.Timestamp
		}
	}
}

// slowJudge answers with j after a delay, like a distant backend.
func slowJudge(j *judge, d time.Duration) step {
	return func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		j.ServeHTTP(w, r)
	}
}

func wideOptions(_ *Endpoint, o *Options) { o.MaxInFlight = 4 }

func TestWideBatchesGoInParallelAndKeepSeriesOrder(t *testing.T) {
	batches, keys := roundBatches(t, 4, 60, 5, -1) // 300 samples a batch: 3 lanes of about 100
	j := &judge{code: http.StatusBadRequest}
	be := newBackend(t)
	be.setFallback(slowJudge(j, 20*time.Millisecond))
	src := newFakeSource(batches...)
	h := newHarness(t, be, src, wideOptions)
	src.waitAcks(t, len(batches))

	sameSet(t, "delivered", j.samples(), keys)
	inOrder(t, j)
	be.mu.Lock()
	most, n := be.maxInFlight, len(be.reqs)
	be.mu.Unlock()
	if most < 2 || n != 3*len(batches) {
		t.Fatalf("%d requests, at most %d in flight; want 3 lanes a batch, in parallel", n, most)
	}
	for _, r := range be.requests() {
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(decode(t, r.body)); err != nil || len(wr.Metadata) != 1 {
			t.Fatalf("a lane lacks the batch's metadata: %v %v", wr.Metadata, err)
		}
	}
	if got := h.metric(t, "prws_remote_samples_sent_total", nil); got != float64(len(keys)) {
		t.Fatalf("samples sent metric %v, want %d", got, len(keys))
	}
	if got := h.metric(t, "prws_remote_requests_in_flight", nil); got != 0 {
		t.Fatalf("in-flight gauge %v after the drain", got)
	}
}

func TestWideLimitFollowsLatencyAndBacklog(t *testing.T) {
	// limits returns the batch limits a worker asked for while draining
	// n full batches of 100 samples from a backend answering in 20 ms.
	limits := func(n int) []int {
		batches, _ := roundBatches(t, n, 20, 5, -1) // 100 samples, full batches: one lane each
		be := newBackend(t)
		be.setFallback(slowJudge(&judge{code: 400}, 20*time.Millisecond))
		src := newFakeSource(batches...)
		newHarness(t, be, src, wideOptions)
		src.waitAcks(t, len(batches))
		src.mu.Lock()
		defer src.mu.Unlock()
		return append([]int(nil), src.limits...)
	}
	// The first read knows no latency; the second follows a full batch
	// answered in 20 ms with 900 samples behind it, a whole wide read
	// (4 senders × 2 lanes of 100), and takes one. (The fake source
	// still hands out 100 samples, as fast as narrow: the pacer then
	// goes back, pace_test.go.) The read after the last batch takes one
	// batch again.
	got := limits(10)
	if len(got) < 10 || got[0] != 100 || got[1] != 800 || len(got) > 10 && got[10] != 100 {
		t.Fatalf("batch limits %v, want 100, 800, ..., 100", got)
	}
	// A backlog shorter than a wide read: the queue keeps up one batch
	// at a time, and lanes would only cost CPU.
	short := limits(4)
	for _, l := range short {
		if l != 100 {
			t.Fatalf("batch limits %v with 300 samples waiting, want 100 each", short)
		}
	}
}

func TestWideRefusedLaneIsSplitAlone(t *testing.T) {
	batches, keys := roundBatches(t, 2, 40, 5, 7)
	j := &judge{code: 422}
	be := newBackend(t)
	be.setFallback(j.ServeHTTP)
	src := newFakeSource(batches...)
	h := newHarness(t, be, src, wideOptions)
	src.waitAcks(t, len(batches))

	var ok, refused []string
	for _, k := range keys {
		if bytes.HasPrefix([]byte(k), []byte("7@")) {
			refused = append(refused, k)
		} else {
			ok = append(ok, k)
		}
	}
	sameSet(t, "delivered", j.samples(), ok)
	sameSet(t, "dead-lettered", deadKeys(t, h.dl, 422), refused)
	inOrder(t, j)
	src.mu.Lock()
	splits := append([]queue.Split(nil), src.splits...)
	src.mu.Unlock()
	if len(splits) == 0 {
		t.Fatal("no split recorded")
	}
	for _, sp := range splits {
		if sp.Lanes != 2 || sp.Lane != splits[0].Lane {
			t.Fatalf("split %+v: want lane positions of a 2-lane batch, one lane", sp)
		}
	}
}

func TestWideLaneSplitResumesAfterRestart(t *testing.T) {
	batches, keys := roundBatches(t, 1, 40, 5, 7)
	j := &judge{code: 422}
	src := newFakeSource(batches...)
	be := newBackend(t)
	var once sync.Once
	hung := -1
	be.setFallback(func(w http.ResponseWriter, r *http.Request) {
		src.mu.Lock()
		splitting := len(src.splits) > 0
		src.mu.Unlock()
		if splitting {
			hold := false
			once.Do(func() {
				hold = true
				be.mu.Lock()
				hung = len(be.reqs) - 1
				be.mu.Unlock()
			})
			if hold {
				be.hang(w, r)
				return
			}
		}
		j.ServeHTTP(w, r)
	})
	h := newHarness(t, be, src, wideOptions)
	deadline := time.Now().Add(safety)
	for {
		be.mu.Lock()
		at := hung
		be.mu.Unlock()
		if at >= 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the split never started")
		}
		time.Sleep(time.Millisecond)
	}
	if err := h.w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	src.mu.Lock()
	sp := src.split
	src.mu.Unlock()
	if src.ackedCount() != 0 || sp.Lanes != 2 {
		t.Fatalf("acked %d, split in flight %+v", src.ackedCount(), sp)
	}
	src.rewind()
	h2 := newHarness(t, be, src, wideOptions)
	src.waitAcks(t, 1)

	reqs := be.requests()
	if !bytes.Equal(reqs[hung].body, reqs[hung+1].body) {
		t.Fatal("the part of the lane in flight was not resent first, byte for byte")
	}
	var ok, refused []string
	for _, k := range keys {
		if bytes.HasPrefix([]byte(k), []byte("7@")) {
			refused = append(refused, k)
		} else {
			ok = append(ok, k)
		}
	}
	sameSet(t, "dead-lettered", append(deadKeys(t, h.dl, 422), deadKeys(t, h2.dl, 422)...), refused)
	got := map[string]bool{}
	for _, k := range j.samples() {
		got[k] = true
	}
	for _, k := range ok {
		if !got[k] {
			t.Fatalf("sample %s never delivered", k)
		}
	}
}

// TestWideLaneBuffersFreedWhenIdle drains batches as lanes and then
// leaves the worker waiting: it keeps the lanes' buffers, and its share of
// the lane budget, for keep after its last batch sent as lanes, and frees
// them after that, or when it stops.
func TestWideLaneBuffersFreedWhenIdle(t *testing.T) {
	for _, keep := range []time.Duration{20 * time.Millisecond, time.Hour} {
		batches, _ := roundBatches(t, 3, 60, 5, -1) // 300 samples a batch: 3 lanes of about 100
		be := newBackend(t)
		be.setFallback((&judge{code: 400}).ServeHTTP)
		src := newFakeSource(batches...)
		h := &harness{src: src, be: be, reg: prometheus.NewRegistry(), logs: &logRecords{}}
		ep := Endpoint{Name: "tsdb-a", URL: be.srv.URL + "/api/v1/write", Timeout: 5 * time.Second}
		budget := NewLaneBudget(0, nil)
		opts := Options{BatchSamples: 100, MaxInFlight: 4, Lanes: budget, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond,
			State: NewBackendState("tsdb-a"), Metrics: NewMetrics(h.reg), Logger: slog.New(h.logs)}
		w := mustWorker(&ep, src, opts)
		w.wide.keep = keep
		w.Start()
		src.waitAcks(t, len(batches))
		time.Sleep(100 * time.Millisecond)
		if held := budget.Held() == 1; held != (keep == time.Hour) {
			t.Fatalf("keep %v: lane share held %v after 100 ms idle", keep, held)
		}
		if err := w.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		if w.wide.div.bodies != nil || budget.Held() != 0 {
			t.Fatalf("keep %v: lane buffers or share held after the worker stopped", keep)
		}
	}
}
