package queue

import (
	"context"
	"testing"
)

func TestBatchMoreAndWaitingTellABacklog(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{})
	appendRange(t, q, 0, 6) // samples 1, 2, 3, 1, 2, 3
	ctx := context.Background()
	b, err := q.NextBatch(ctx, 4)
	if err != nil || b.Records != 2 || !b.More || b.Waiting != 9 {
		t.Fatalf("batch cut at its limit: %+v, %v; want 9 samples waiting", b, err)
	}
	if err := q.Ack(b); err != nil {
		t.Fatal(err)
	}
	b, err = q.NextBatch(ctx, 100)
	if err != nil || b.Records != 4 || b.More || b.Waiting != 0 {
		t.Fatalf("batch of everything durable: %+v, %v", b, err)
	}
}
