package queue

import (
	"context"
	"testing"
)

func TestBatchMoreTellsABacklog(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{})
	appendRange(t, q, 0, 6) // samples 1, 2, 3, 1, 2, 3
	ctx := context.Background()
	b, err := q.NextBatch(ctx, 4)
	if err != nil || b.Records != 2 || !b.More {
		t.Fatalf("batch cut at its limit: %+v, %v", b, err)
	}
	if err := q.Ack(b); err != nil {
		t.Fatal(err)
	}
	b, err = q.NextBatch(ctx, 100)
	if err != nil || b.Records != 4 || b.More {
		t.Fatalf("batch of everything durable: %+v, %v", b, err)
	}
}
