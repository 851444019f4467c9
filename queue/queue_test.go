package queue

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

func TestAppendReadRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name         string
		records      int
		segmentBytes int
		maxSamples   int
	}{
		{"one record", 1, 0, 100},
		{"one per batch", 50, 0, 1},
		{"many small segments", 500, 256, 7},
		{"big batches", 300, 1024, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "be", "0001")
			q := openTest(t, dir, Options{SegmentBytes: tc.segmentBytes})
			appendRange(t, q, 0, tc.records)
			equalStrings(t, drain(t, q, tc.maxSamples), want(seq(0, tc.records)...))
			if st := q.Stats(); st.PendingRecords != 0 || st.PendingSamples != 0 {
				t.Fatalf("after drain: %+v", st)
			}
			// Reopen: nothing pending, new records continue the stream.
			if err := q.Close(); err != nil {
				t.Fatal(err)
			}
			q = openTest(t, dir, Options{SegmentBytes: tc.segmentBytes})
			appendRange(t, q, tc.records, 3)
			equalStrings(t, drain(t, q, tc.maxSamples), want(seq(tc.records, 3)...))
		})
	}
}

func TestBatchBoundaries(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{})
	recs := []Record{
		{Kind: KindSeries, Tenant: "a", Samples: 2, Payload: []byte("r000000001;")},
		{Kind: KindSeries, Tenant: "a", Samples: 2, Payload: []byte("r000000002;")},
		{Kind: KindSeries, Tenant: "a", Samples: 2, Payload: []byte("r000000003;")},
		{Kind: KindMetadata, Tenant: "b", Samples: 0, Payload: []byte("r000000004;")},
		{Kind: KindSeries, Tenant: "b", Samples: 9, Payload: []byte("r000000005;")},
		{Kind: KindSeries, Tenant: "", Samples: 1, Payload: []byte("r000000006;")},
	}
	if err := q.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	type bounds struct {
		first, last uint64
		tenant      string
		samples     int
	}
	var got []bounds
	for range 10 {
		b, ok, err := q.formBatch(4)
		if err != nil || !ok {
			break
		}
		got = append(got, bounds{b.First, b.Last, b.Tenant, b.Samples})
		if err := q.Ack(b); err != nil {
			t.Fatal(err)
		}
	}
	exp := []bounds{{1, 2, "a", 4}, {3, 3, "a", 2}, {4, 4, "b", 0}, {5, 5, "b", 9}, {6, 6, "", 1}}
	if fmt.Sprint(got) != fmt.Sprint(exp) {
		t.Fatalf("batches %v, want %v", got, exp)
	}
}

func TestConcurrentSubmitDurableAndOrdered(t *testing.T) {
	const writers, perWriter = 16, 200
	dir := t.TempDir()
	q := openTest(t, dir, Options{SegmentBytes: 4096})
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				if err := q.Append(context.Background(), []Record{testRecord(w*perWriter + i)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q = openTest(t, dir, Options{SegmentBytes: 4096})
	got := drain(t, q, 50)
	if len(got) != writers*perWriter {
		t.Fatalf("got %d records, want %d", len(got), writers*perWriter)
	}
	next := make(map[int]int) // writer -> next expected i
	for _, p := range got {
		var n int
		fmt.Sscanf(p, "r%09d;", &n)
		w, i := n/perWriter, n%perWriter
		if i != next[w] {
			t.Fatalf("writer %d: record %d out of order, want %d", w, i, next[w])
		}
		next[w]++
	}
}

func TestGroupCommitGroups(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{})
	// Hold the first group's write until 20 more submits are waiting, so
	// they must share the next fsync.
	const waiting = 20
	release := make(chan struct{})
	q.mu.Lock()
	inner := q.writeBatch
	first := true
	q.writeBatch = func(l *walLog, b *walBatch) error {
		if first {
			first = false
			<-release
		}
		return inner(l, b)
	}
	q.mu.Unlock()

	dones := make([]chan error, waiting+1)
	for i := range dones {
		dones[i] = make(chan error, 1)
		q.Submit([]Record{testRecord(i)}, dones[i])
		if i == 0 {
			waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.next.waiters) == 0 })
		}
	}
	close(release)
	for i, d := range dones {
		if err := <-d; err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
	}
	if got := q.fsyncs.Load(); got != 2 {
		t.Fatalf("%d submits took %d group commits, want 2", len(dones), got)
	}
	equalStrings(t, drain(t, q, 1000), want(seq(0, waiting+1)...))
}

// waitFor polls cond a bounded number of times, yielding between tries.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 1_000_000 {
		if cond() {
			return
		}
		yield()
	}
	t.Fatal("condition never became true")
}

func TestSubmitInvalidAndClosed(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{})
	bad := []Record{{Kind: KindTombstone, Payload: []byte("x")}}
	if err := q.Append(context.Background(), bad); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("tombstone kind: %v, want ErrInvalidRecord", err)
	}
	if err := q.Append(context.Background(), []Record{{Kind: KindSeries, Samples: -1}}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("negative samples: %v", err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Append(context.Background(), testRecords(0, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	if _, err := q.NextBatch(context.Background(), 10); !errors.Is(err, ErrClosed) {
		t.Fatalf("NextBatch after close: %v", err)
	}
	if err := q.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

func TestNextBatchBlocksUntilAppend(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{})
	got := make(chan Batch, 1)
	go func() {
		b, err := q.NextBatch(context.Background(), 10)
		if err != nil {
			t.Error(err)
		}
		got <- b
	}()
	appendRange(t, q, 0, 1)
	b := <-got
	equalStrings(t, splitBody(t, batchBody(t, b)), want(0))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.Ack(b); err != nil {
		t.Fatal(err)
	}
	if _, err := q.NextBatch(ctx, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled NextBatch: %v", err)
	}
}
