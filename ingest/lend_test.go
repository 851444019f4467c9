package ingest

import (
	"context"
	"testing"
	"time"

	"github.com/prws/prws/queue"
)

// A request waiting for its queues has given its accumulator buffers back,
// and a request served meanwhile reuses them without disturbing what the
// first one submitted. Eight targets give eight buffers back, so the race
// detector's random sync.Pool drops cannot empty the pool.
func TestWaitingRequestLendsBuffers(t *testing.T) {
	b := newBed(t, Options{}, 2, 1, 4)
	release, submitted := holdAll(b)
	first, second := nodeExporterRequest(300), nodeExporterRequest(200)
	for i := range second.Timeseries {
		second.Timeseries[i].Samples[0].Value = -1
	}
	w1, done1 := serveAsync(b, context.Background(), compress(marshal(t, first)))
	awaitSubmits(t, b, submitted)

	// Every Submit returned; the buffers follow within moments.
	var boxes []*bufBox
	var lent []byte
	for range 2000 {
		if lent = b.h.states.accs.lend(&boxes); lent != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if cap(lent) == 0 {
		t.Fatal("a request waiting for its queues still holds its accumulator buffers")
	}
	b.h.states.accs.give(&lent, &boxes, retainBytes)

	w2, done2 := serveAsync(b, context.Background(), compress(marshal(t, second)))
	awaitSubmits(t, b, submitted)
	close(release)
	<-done1
	<-done2
	expectStatus(t, w1.Code, w1.Body.String(), 204, "")
	expectStatus(t, w2.Code, w2.Body.String(), 204, "")

	want := map[string]int{}
	for _, ts := range append(first.Timeseries, second.Timeseries...) {
		want[string(marshal(t, &ts))]++
	}
	b.each(func(_, _ int, tg *recTarget) {
		for _, ts := range unmarshal(t, payload(tg.records(), queue.KindSeries)).Timeseries {
			want[string(marshal(t, &ts))]--
		}
	})
	for k, n := range want {
		if n != 0 {
			t.Fatalf("series %q: %+d copies missing from the targets", k, n)
		}
	}
}

// awaitSubmits waits, at most 10 s, for one Submit per target.
func awaitSubmits(t *testing.T, b *testBed, submitted chan struct{}) {
	t.Helper()
	n := len(b.targets) * len(b.targets[0])
	timeout := time.After(10 * time.Second)
	for i := range n {
		select {
		case <-submitted:
		case <-timeout:
			t.Fatalf("%d of %d targets were given records", i, n)
		}
	}
}

// A 2.0 request gives its conversion state back once its records are
// submitted, and still reports what it wrote; a 2.0 request served
// meanwhile, which may take that state over, keeps its own counts.
func TestWaitingV2RequestReleasesItsState(t *testing.T) {
	b := newBed(t, Options{Limiter: &countLimiter{even: true}}, 1, 1, 8)
	release, submitted := holdAll(b)
	first, second := v2NodeExporter(300), v2NodeExporter(200)
	for i := range second.Timeseries {
		second.Timeseries[i].Samples[0].Value = -1
	}
	w1, done1 := serveAsync(b, context.Background(), compress(marshal(t, first)), "Content-Type", ctV2)
	awaitSubmits(t, b, submitted)
	w2, done2 := serveAsync(b, context.Background(), compress(marshal(t, second)), "Content-Type", ctV2)
	awaitSubmits(t, b, submitted)
	close(release)
	<-done1
	<-done2

	var kept [2]int // series of the first and second request the limiter let through
	for _, ts := range queued(t, b).Timeseries {
		if ts.Samples[0].Value < 0 {
			kept[1]++
		} else {
			kept[0]++
		}
	}
	if kept[0] == 0 || kept[0] == 300 || kept[1] == 0 || kept[1] == 200 {
		t.Fatalf("limiter kept %v: the test needs some series of each request dropped", kept)
	}
	expectStatus(t, w1.Code, w1.Body.String(), 204, "")
	expectWritten(t, w1, kept[0], 0, 0)
	expectStatus(t, w2.Code, w2.Body.String(), 204, "")
	expectWritten(t, w2, kept[1], 0, 0)
}
