package ingest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/prws/prws/queue"
)

// A request waiting for its queues has given its accumulator buffers back,
// and a request served meanwhile reuses them without disturbing what the
// first one submitted.
func TestWaitingRequestLendsBuffers(t *testing.T) {
	b := newBed(t, Options{}, 1, 1, 1)
	release, submitted := holdAll(b)
	first, second := nodeExporterRequest(300), nodeExporterRequest(200)
	for i := range second.Timeseries {
		second.Timeseries[i].Samples[0].Value = -1
	}
	w1, done1 := serveAsync(b, context.Background(), compress(marshal(t, first)))
	<-submitted

	// The Submit returned; the buffers follow within moments.
	var boxes []*bufBox
	var lent []byte
	for range 2000 {
		if lent = b.h.states.accs.lend(&boxes); lent != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if cap(lent) == 0 {
		t.Fatal("a request waiting for its queue still holds its accumulator buffer")
	}
	b.h.states.accs.give(&lent, &boxes, retainBytes)

	w2, done2 := serveAsync(b, context.Background(), compress(marshal(t, second)))
	<-submitted
	close(release)
	<-done1
	<-done2
	expectStatus(t, w1.Code, w1.Body.String(), 204, "")
	expectStatus(t, w2.Code, w2.Body.String(), 204, "")

	recs := b.targets[0][0].records()
	got := unmarshal(t, payload(recs, queue.KindSeries)).Timeseries
	want := append(first.Timeseries, second.Timeseries...)
	if len(got) != len(want) {
		t.Fatalf("targets got %d series, want %d", len(got), len(want))
	}
	for i := range want {
		if g, w := marshal(t, &got[i]), marshal(t, &want[i]); !bytes.Equal(g, w) {
			t.Fatalf("series %d: got %v, want %v", i, got[i], want[i])
		}
	}
}
