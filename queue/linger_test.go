package queue

import (
	"context"
	"testing"
	"time"
)

// nextWithin calls NextBatch with a deadline that fails the test rather
// than hang it, and returns the batch and how long the call took.
func nextWithin(t *testing.T, q *Queue, maxSamples int) (Batch, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	b, err := q.NextBatch(ctx, maxSamples)
	if err != nil {
		t.Fatalf("NextBatch: %v", err)
	}
	return b, time.Since(start)
}

func TestLingerHoldsBackAShortBatch(t *testing.T) {
	const linger = 150 * time.Millisecond
	q := openTest(t, t.TempDir(), Options{BatchLinger: linger})
	appendRange(t, q, 0, 3) // 1+2+3 = 6 samples
	b, took := nextWithin(t, q, 100)
	if took < linger {
		t.Fatalf("a 6-sample batch came after %v, before the %v linger", took, linger)
	}
	if b.Samples != 6 || b.Records != 3 {
		t.Fatalf("batch %+v, want the 3 records", b)
	}
}

func TestLingerEndsWhenTheBatchFills(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{BatchLinger: time.Hour})
	appendRange(t, q, 0, 3) // 6 samples
	go func() {
		time.Sleep(20 * time.Millisecond)
		_ = q.Append(context.Background(), testRecords(3, 10)) // 19 more
	}()
	b, _ := nextWithin(t, q, 20)
	if b.Samples < 6 || b.Samples > 20 || b.Records < 3 {
		t.Fatalf("batch %+v, want the first records up to 20 samples", b)
	}
}

func TestLingerNeverHoldsBackABacklog(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{BatchLinger: time.Hour})
	appendRange(t, q, 0, 30)
	b, _ := nextWithin(t, q, 20) // would hang the test for an hour otherwise
	if b.Samples > 20 || b.Records == 0 {
		t.Fatalf("batch %+v", b)
	}
}

// After a restart the batch in flight is resent at once, with its bounds.
func TestLingerNeverHoldsBackTheBatchInFlight(t *testing.T) {
	dir := t.TempDir()
	q := openTest(t, dir, Options{})
	appendRange(t, q, 0, 3)
	first, _ := nextWithin(t, q, 100)
	q.Close()
	q = openTest(t, dir, Options{BatchLinger: time.Hour})
	again, _ := nextWithin(t, q, 100)
	if again.First != first.First || again.Last != first.Last {
		t.Fatalf("after reopen %d..%d, want %d..%d", again.First, again.Last, first.First, first.Last)
	}
}
