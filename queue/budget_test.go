package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// dropOpts is a small DropOldest queue: 1 KiB segments, an 8 KiB budget.
func dropOpts(log *slog.Logger) Options {
	return Options{SegmentBytes: 1024, MaxBytes: 8 << 10, FullPolicy: DropOldest, Logger: log, Metrics: NewMetrics(nil)}
}

// samplesOf sums the samples of test records named in payloads.
func samplesOf(t *testing.T, payloads []string) (n uint64) {
	for _, p := range payloads {
		var i int
		if _, err := fmtSscanf(p, &i); err != nil {
			t.Fatalf("payload %q: %v", p, err)
		}
		n += uint64(testRecord(i).Samples)
	}
	return n
}

func TestDropOldestKeepsAcceptingAndCountsExactly(t *testing.T) {
	var logBuf syncBuffer
	q := openTest(t, t.TempDir(), dropOpts(slog.New(slog.NewTextHandler(&logBuf, nil))))
	appendRange(t, q, 0, 10)
	c := q.Consumer()
	inflight, err := c.NextBatch(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	kept := splitBody(t, batchBody(t, inflight))
	const n = 3000
	appendRange(t, q, 10, n-10) // every Append must succeed
	if got := q.diskBytes.Load(); got > q.opts.MaxBytes {
		t.Errorf("disk bytes %d over the budget %d", got, q.opts.MaxBytes)
	}
	if err := c.Ack(inflight); err != nil {
		t.Errorf("Ack of the kept in-flight batch: %v", err)
	}
	delivered := append(kept, drain(t, q, 100)...)
	droppedSamples := uint64(counterValue(t, q.m.droppedSamples))
	droppedRecords := int(counterValue(t, q.m.droppedRecords))
	if droppedRecords == 0 {
		t.Fatal("nothing was dropped")
	}
	if len(delivered)+droppedRecords != n {
		t.Errorf("delivered %d + dropped %d records != %d appended", len(delivered), droppedRecords, n)
	}
	var total uint64
	for i := range n {
		total += uint64(testRecord(i).Samples)
	}
	if got := samplesOf(t, delivered) + droppedSamples; got != total {
		t.Errorf("delivered + dropped samples = %d, want %d", got, total)
	}
	// The kept batch first, then a strictly increasing suffix of the rest.
	equalStrings(t, delivered[:len(kept)], want(seq(0, len(kept))...))
	prev := len(kept) - 1
	for _, p := range delivered[len(kept):] {
		var i int
		fmtSscanf(p, &i)
		if i <= prev {
			t.Fatalf("record %d delivered after %d", i, prev)
		}
		prev = i
	}
	if prev != n-1 {
		t.Errorf("last delivered record %d, want the newest %d", prev, n-1)
	}
	if log := logBuf.String(); !strings.Contains(log, "dropped the oldest records") || !strings.Contains(log, "appended_from=") {
		t.Errorf("no drop Warn line in the log:\n%s", log)
	}
}

// TestDropOldestWithoutConsumer: no worker holds anything, so every
// record is either delivered later or counted dropped.
func TestDropOldestWithoutConsumer(t *testing.T) {
	dir := t.TempDir()
	q, err := Open(dir, dropOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	appendRange(t, q, 0, 10)
	if _, err := q.NextBatch(context.Background(), 3); err != nil { // bounds persisted, then "crash"
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q = openTest(t, dir, dropOpts(nil)) // in-flight bounds loaded from the cursor, held by nobody
	const n = 3000
	appendRange(t, q, 10, n-10)
	got := drain(t, q, 100)
	dropped := int(counterValue(t, q.m.droppedRecords))
	if dropped == 0 || len(got)+dropped != n {
		t.Errorf("delivered %d + dropped %d != %d", len(got), dropped, n)
	}
	var total uint64
	for i := range n {
		total += uint64(testRecord(i).Samples)
	}
	if sum := samplesOf(t, got) + uint64(counterValue(t, q.m.droppedSamples)); sum != total {
		t.Errorf("delivered + dropped samples = %d, want %d", sum, total)
	}
}

func TestDropOldestNeverTheTail(t *testing.T) {
	o := dropOpts(nil)
	o.SegmentBytes, o.MaxBytes = 64<<10, 4<<10 // the budget fits inside the tail segment
	q := openTest(t, t.TempDir(), o)
	appendRange(t, q, 0, 5)
	if _, err := q.Consumer().NextBatch(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	var full bool
	for i := 5; i < 3000 && !full; i++ {
		err := q.Append(context.Background(), []Record{testRecord(i)})
		full = errors.Is(err, ErrFull)
	}
	if !full {
		t.Fatal("the tail segment was dropped")
	}
}

func TestDropOldestSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	q, err := Open(dir, dropOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	appendRange(t, q, 0, 10)
	b, err := q.Consumer().NextBatch(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	appendRange(t, q, 10, 2000)
	dropped := int(counterValue(t, q.m.droppedRecords))
	pending := q.Stats().PendingRecords
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q = openTest(t, dir, Options{SegmentBytes: 1024})
	got := drain(t, q, 100)
	if uint64(len(got)) != pending || len(got)+dropped+b.Records != 2010 {
		t.Errorf("after reopen %d records pending (before close %d, dropped %d)", len(got), pending, dropped)
	}
	if len(got) > 0 && got[len(got)-1] != want(2009)[0] {
		t.Errorf("last record %s", got[len(got)-1])
	}
}

// TestDropOldestWithReplay runs submitters against a slow replay worker:
// every sample appended is delivered exactly once or counted dropped.
func TestDropOldestWithReplay(t *testing.T) {
	q := openTest(t, t.TempDir(), dropOpts(nil))
	ctx, cancel := context.WithCancel(context.Background())
	var delivered atomic.Uint64
	seen := make(map[string]bool)
	done := make(chan struct{})
	c := q.Consumer()
	go func() { // the replay worker: deliver (slowly), then Ack
		defer close(done)
		for {
			b, err := c.NextBatch(ctx, 20)
			if err != nil {
				return
			}
			for _, p := range splitBody(t, batchBody(t, b)) {
				if seen[p] {
					t.Errorf("%s delivered twice", p)
				}
				seen[p] = true
			}
			delivered.Add(uint64(b.Samples))
			time.Sleep(3 * time.Millisecond)
			if err := c.Ack(b); err != nil {
				t.Errorf("Ack: %v", err)
			}
		}
	}()
	var wg sync.WaitGroup
	var appended, refused atomic.Uint64
	for w := range 4 {
		wg.Go(func() {
			for i := w * 1000; i < w*1000+1000; i++ {
				r := testRecord(i)
				err := q.Append(context.Background(), []Record{r})
				switch {
				case err == nil:
					appended.Add(uint64(r.Samples))
				case errors.Is(err, ErrFull): // replay between two batches
					refused.Add(1)
				default:
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	waitFor(t, func() bool { return q.Stats().PendingRecords == 0 })
	cancel()
	<-done
	dropped := uint64(counterValue(t, q.m.droppedSamples))
	if delivered.Load()+dropped != appended.Load() {
		t.Errorf("delivered %d + dropped %d samples != appended %d (refused %d appends)",
			delivered.Load(), dropped, appended.Load(), refused.Load())
	}
	t.Logf("appended %d, delivered %d, dropped %d samples; %d appends refused", appended.Load(), delivered.Load(), dropped, refused.Load())
}

func TestCorruptSkippedLogIsRateLimited(t *testing.T) {
	var logBuf syncBuffer
	q := openTest(t, t.TempDir(), Options{Logger: slog.New(slog.NewTextHandler(&logBuf, nil)), Metrics: NewMetrics(nil)})
	for i := uint64(1); i <= 5; i++ {
		q.corruptSkipped(i, &Envelope{}, nil)
	}
	if got := q.corrupt.Load(); got != 5 {
		t.Errorf("counted %d, want 5", got)
	}
	log := logBuf.String()
	if n := strings.Count(log, "skipped a record"); n != 1 {
		t.Errorf("%d log lines, want 1:\n%s", n, log)
	}
	for _, s := range []string{"index=1", "reason=\"bad envelope", "queue="} {
		if !strings.Contains(log, s) {
			t.Errorf("log lacks %s:\n%s", s, log)
		}
	}
	q.skipLog.last = time.Now().Add(-corruptLogEvery)
	q.corruptSkipped(9, &Envelope{Kind: KindTombstone, Index: 9}, nil)
	if log := logBuf.String(); !strings.Contains(log, "skipped_unlogged_before=4") || !strings.Contains(log, "tombstone") {
		t.Errorf("second line lacks the summary:\n%s", log)
	}
}

func TestParseFullPolicy(t *testing.T) {
	for _, s := range []string{"block", "drop-oldest"} {
		p, err := ParseFullPolicy(s)
		if err != nil || p.String() != s {
			t.Errorf("%s: %v %v", s, p, err)
		}
	}
	if _, err := ParseFullPolicy("drop-newest"); err == nil {
		t.Error("drop-newest accepted")
	}
}

// counterValue reads a counter.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// fmtSscanf parses a test payload's record number.
func fmtSscanf(p string, i *int) (int, error) { return fmt.Sscanf(p, "r%09d;", i) }

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
