package replay

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/queue"
)

// Integration tests with the real durable queue.

// seriesRecord returns a KindSeries record of one series with n samples.
func seriesRecord(t *testing.T, i, n int) queue.Record {
	t.Helper()
	ts := prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "m"}, {Name: "i", Value: fmt.Sprint(i)}}}
	for s := range n {
		ts.Samples = append(ts.Samples, prompb.Sample{Value: float64(i), Timestamp: int64(1000*i + s)})
	}
	payload, err := (&prompb.WriteRequest{Timeseries: []prompb.TimeSeries{ts}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return queue.Record{Kind: queue.KindSeries, Samples: n, Payload: payload}
}

func openQueue(t *testing.T, dir string, records int) *queue.Queue {
	t.Helper()
	q, err := queue.Open(dir, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var recs []queue.Record
	for i := range records {
		recs = append(recs, seriesRecord(t, i, 2))
	}
	if len(recs) > 0 {
		if err := q.Append(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
	}
	return q
}

// receivedSeries decodes every request body into the series values, in
// the order they arrived.
func receivedSeries(t *testing.T, reqs []request) []float64 {
	t.Helper()
	var out []float64
	for _, r := range reqs {
		raw, err := snappy.Decode(nil, r.body)
		if err != nil {
			t.Fatal(err)
		}
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(raw); err != nil {
			t.Fatal(err)
		}
		for _, ts := range wr.Timeseries {
			out = append(out, ts.Samples[0].Value)
		}
	}
	return out
}

// waitDrained waits until the queue has nothing pending.
func waitDrained(t *testing.T, q *queue.Queue) {
	t.Helper()
	deadline := time.Now().Add(safety)
	for q.Stats().PendingRecords > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %+v", q.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRealQueueDrainsInOrderWithDeadLetter(t *testing.T) {
	q := openQueue(t, t.TempDir(), 10)
	defer q.Close()
	j := &judge{code: http.StatusBadRequest}
	be := newBackend(t, status(500, ""))
	be.setFallback(func(w http.ResponseWriter, r *http.Request) {
		// Series 1 is refused, as a backend refuses an out-of-order one.
		body, _ := io.ReadAll(r.Body)
		raw, _ := snappy.Decode(nil, body)
		var wr prompb.WriteRequest
		_ = wr.Unmarshal(raw)
		for _, ts := range wr.Timeseries {
			if seriesName(&ts) == "1" {
				http.Error(w, "bad sample", http.StatusBadRequest)
				return
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		j.ServeHTTP(w, r)
	})
	dl, _ := deadletter.Open(t.TempDir())
	w := mustWorker(&Endpoint{URL: be.srv.URL}, q, Options{
		BatchSamples: 6, MinWait: time.Millisecond, MaxWait: time.Millisecond, DeadLetters: dl,
	})
	w.Start()
	waitDrained(t, q)
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := be.requests()
	// Batches of 3 records: [0-2] 500, then 400; an empty probe; [0] 200,
	// [1-2] 400, [1] 400, its samples 400 each, [2] 200; then [3-5],
	// [6-8], [9].
	if len(reqs) != 12 || !bytes.Equal(reqs[0].body, reqs[1].body) {
		t.Fatalf("got %d requests, want 12, the retry identical", len(reqs))
	}
	var got []string
	for _, k := range j.samples() {
		got = append(got, strings.Split(k, "@")[0])
	}
	if want := "[0 0 2 2 3 3 4 4 5 5 6 6 7 7 8 8 9 9]"; fmt.Sprint(got) != want {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	metas, _ := dl.List()
	if len(metas) != 2 || metas[0].First != 1 || metas[0].Last != 3 || metas[0].Samples != 1 || metas[1].Samples != 1 {
		t.Fatalf("dead letters = %+v", metas)
	}
}

func TestRealQueueStopAndReopenResendsSameBatch(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir, 5)
	var be *backend
	be = newBackend(t, func(w http.ResponseWriter, r *http.Request) { be.hang(w, r) })
	opts := Options{BatchSamples: 4, MinWait: time.Millisecond, MaxWait: time.Millisecond}
	w := mustWorker(&Endpoint{URL: be.srv.URL, Timeout: time.Hour}, q, opts)
	w.Start()
	<-be.entered
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	left, ok := w.Left()
	if err := q.Close(); err != nil || !ok {
		t.Fatalf("Close = %v, left %v", err, ok)
	}
	q = openQueue(t, dir, 0)
	defer q.Close()
	w = mustWorker(&Endpoint{URL: be.srv.URL}, q, opts)
	w.Start()
	waitDrained(t, q)
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := be.requests()
	if len(reqs) != 4 || !bytes.Equal(reqs[0].body, reqs[1].body) {
		t.Fatalf("got %d requests, want the interrupted batch resent byte for byte, then 2 more", len(reqs))
	}
	if left.First != 1 || left.Last != 2 {
		t.Fatalf("left batch %d..%d, want 1..2", left.First, left.Last)
	}
	if got := receivedSeries(t, reqs[1:]); fmt.Sprint(got) != "[0 1 2 3 4]" {
		t.Fatalf("delivered %v", got)
	}
}
