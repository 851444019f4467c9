package queue

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// A queue that sees no Submit and no new record for IdleRelease frees its
// write buffers and its batch join buffer, and works as before after it.
func TestIdleRelease(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{IdleRelease: time.Millisecond})
	big := Record{Kind: KindSeries, Samples: 1, Payload: bytes.Repeat([]byte("idle "), 50_000)}
	if err := q.Append(context.Background(), []Record{big, big}); err != nil {
		t.Fatal(err)
	}
	released := q.idleReleases.Load() // the writer may have been idle before the Append
	b, err := q.NextBatch(context.Background(), 10)
	if err != nil || b.Records != 2 {
		t.Fatalf("NextBatch: %d records, %v", b.Records, err)
	}
	if err := q.Ack(b); err != nil {
		t.Fatal(err)
	}
	for i := 0; q.idleReleases.Load() == released; i++ {
		if i == 10_000 {
			t.Fatal("the writer never released its buffers")
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	q.mu.Lock()
	scratch := cap(q.scratch)
	q.mu.Unlock()
	if scratch != 0 {
		t.Fatalf("an idle queue keeps a scratch buffer of %d bytes", scratch)
	}
	for i := 0; cap(q.join.buf) != 0; i++ {
		if i == 1000 {
			t.Fatalf("an idle NextBatch keeps a join buffer of %d bytes", cap(q.join.buf))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, err := q.NextBatch(ctx, 10)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("NextBatch with nothing pending: %v", err)
		}
	}
	appendRange(t, q, 0, 3)
	if got := drain(t, q, 100); len(got) != 3 {
		t.Fatalf("after the release: %d records delivered, want 3", len(got))
	}
}
