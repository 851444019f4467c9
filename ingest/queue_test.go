package ingest

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/prws/prws/queue"
)

// TestRealQueues runs requests through real on-disk queues and reads the
// batches back as replay would: the concatenated record payloads must be
// the series exactly as sent.
func TestRealQueues(t *testing.T) {
	b := newBed(t, Options{BatchSamples: 50, TenantHeader: "X-Scope-OrgID"}, 2, 1, 2)
	qs := make([][]*queue.Queue, 2)
	for be := range qs {
		for sh := 0; sh < 2; sh++ {
			q, err := queue.Open(t.TempDir(), queue.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { q.Close() })
			qs[be] = append(qs[be], q)
			b.rt.Targets[be][sh] = q
		}
	}
	body := marshal(t, nodeExporterRequest(300))
	w := b.post(compress(body), "X-Scope-OrgID", "t1")
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")

	var got [][]byte
	for _, row := range qs {
		for _, q := range row {
			got = append(got, drain(t, q)...)
		}
	}
	sent := entries(t, body, 1)
	if len(got) != len(sent) {
		t.Fatalf("%d series read back, %d sent", len(got), len(sent))
	}
	seen := map[string]bool{}
	for _, e := range got {
		seen[string(e)] = true
	}
	for i, e := range sent {
		if !seen[string(e)] {
			t.Fatalf("series %d not read back byte for byte", i)
		}
	}
}

// drain reads every pending series entry of q, checking batch invariants.
func drain(t *testing.T, q *queue.Queue) [][]byte {
	t.Helper()
	var out [][]byte
	for i := 0; i < 1000 && q.Stats().PendingRecords > 0; i++ {
		bt, err := q.NextBatch(context.Background(), 50)
		if err != nil {
			t.Fatal(err)
		}
		if bt.Tenant != "t1" {
			t.Fatalf("batch tenant %q", bt.Tenant)
		}
		body, err := bt.AppendBody(nil)
		if err != nil {
			t.Fatal(err)
		}
		unmarshal(t, body)
		for _, e := range entries(t, body, 1) {
			out = append(out, bytes.Clone(e))
		}
		if err := q.Ack(bt); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestQueueErrorsAre503(t *testing.T) {
	for _, err := range []error{queue.ErrFull, queue.ErrDiskFull, queue.ErrClosed} {
		b := newBed(t, Options{}, 1, 1, 1)
		b.targets[0][0].err = err
		w := b.post(compress(marshal(t, richRequest())))
		expectStatus(t, w.Code, w.Body.String(), http.StatusServiceUnavailable, err.Error())
		expectRetryAfter(t, w.Header(), "5")
	}
}
