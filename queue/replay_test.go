package queue

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestInflightBoundsSurviveReopen(t *testing.T) {
	for _, tc := range []struct {
		name  string
		crash func(t *testing.T, q *Queue, dir string) string // returns the dir to reopen
	}{
		{"clean close", func(t *testing.T, q *Queue, dir string) string { q.Close(); return dir }},
		{"crash", func(t *testing.T, q *Queue, dir string) string { return copyDir(t, dir) }},
		{"crash after ack before flush", func(t *testing.T, q *Queue, dir string) string {
			b, _, _ := q.formBatch(100) // the pinned batch again
			if err := q.Ack(b); err != nil {
				t.Fatal(err)
			}
			return copyDir(t, dir)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			q := openTest(t, dir, Options{})
			appendRange(t, q, 0, 10)
			first, _, _ := q.formBatch(4)
			if err := q.Ack(first); err != nil {
				t.Fatal(err)
			}
			b, ok, err := q.formBatch(4)
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			// Without Ack the same bounds come back, whatever maxSamples.
			again, _, _ := q.formBatch(1000)
			if again.First != b.First || again.Last != b.Last {
				t.Fatalf("unacked batch re-formed as %d..%d, was %d..%d", again.First, again.Last, b.First, b.Last)
			}
			q2 := openTest(t, tc.crash(t, q, dir), Options{})
			got, ok, err := q2.formBatch(1000) // a larger limit must not widen it
			if err != nil || !ok || got.First != b.First || got.Last != b.Last {
				t.Fatalf("after reopen batch %d..%d (%v %v), want %d..%d", got.First, got.Last, ok, err, b.First, b.Last)
			}
			if string(batchBody(t, got)) != string(batchBody(t, b)) {
				t.Fatalf("body differs after reopen")
			}
		})
	}
}

func TestAckMismatch(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{})
	appendRange(t, q, 0, 3)
	if err := q.Ack(Batch{First: 1, Last: 1}); !errors.Is(err, ErrAckMismatch) {
		t.Fatalf("ack without batch: %v", err)
	}
	b, _, _ := q.formBatch(1)
	if err := q.Ack(Batch{First: b.First, Last: b.Last + 1}); !errors.Is(err, ErrAckMismatch) {
		t.Fatalf("ack of other bounds: %v", err)
	}
	if err := q.Ack(b); err != nil {
		t.Fatal(err)
	}
	if err := q.Ack(b); !errors.Is(err, ErrAckMismatch) {
		t.Fatalf("double ack: %v", err)
	}
}

func TestLazyTruncation(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: corruptSegBytes}
	q := openTest(t, dir, opts)
	appendRange(t, q, 0, 120) // about 20 segments
	before := len(segmentPaths(t, dir))

	// Acknowledge fewer than TruncateSegments segments: nothing removed.
	got := drainN(t, q, 3*6)
	if n := len(segmentPaths(t, dir)); n != before {
		t.Fatalf("%d segments after acking 3 segments' worth, want %d", n, before)
	}
	// Half the backlog: whole segments below the cursor go.
	got = append(got, drainN(t, q, 42)...)
	q.persist()
	q.maybeTruncate()
	mid := len(segmentPaths(t, dir))
	if mid >= before-5 {
		t.Fatalf("%d segments after acking half of %d", mid, before)
	}
	// Reopen in between: the rest is still there.
	q.Close()
	q = openTest(t, dir, opts)
	got = append(got, drain(t, q, 5)...)
	equalStrings(t, got, want(seq(0, 120)...))
	// Fully drained: the log shrinks to one empty segment.
	q.persist()
	q.maybeTruncate()
	if p := segmentPaths(t, dir); len(p) != 1 {
		t.Fatalf("drained queue keeps %d segments", len(p))
	} else if info, _ := os.Stat(p[0]); info.Size() != 0 {
		t.Fatalf("drained segment has %d bytes", info.Size())
	}
	// Indexes continue after the empty log, also across a reopen.
	appendRange(t, q, 120, 2)
	q.Close()
	q = openTest(t, dir, opts)
	appendRange(t, q, 122, 1)
	equalStrings(t, drain(t, q, 5), want(120, 121, 122))
	if _, err := os.Stat(filepath.Join(dir, segmentName(121))); err != nil {
		t.Fatalf("empty log did not keep the next index: %v", err)
	}
}

// drainN delivers and acknowledges exactly n records (batches of one).
func drainN(t *testing.T, q *Queue, n int) []string {
	t.Helper()
	var got []string
	for range n {
		b, ok, err := q.formBatch(1)
		if err != nil || !ok {
			t.Fatalf("formBatch: %v %v", ok, err)
		}
		got = append(got, splitBody(t, batchBody(t, b))...)
		if err := q.Ack(b); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

func TestAckFlushedWithoutNextBatch(t *testing.T) {
	dir := t.TempDir()
	q := openTest(t, dir, Options{AckFlushInterval: 1})
	appendRange(t, q, 0, 2)
	b, err := q.NextBatch(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Ack(b); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { st, _, _ := readCursor(dir); return st.acked == b.Last && !st.inflight() })
}
