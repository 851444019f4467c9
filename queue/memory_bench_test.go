package queue

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// BenchmarkQueueMemory measures the heap a queue holds once it is caught
// up (everything written was read and acknowledged, the buffers of the
// load still kept) and once it has been idle for IdleRelease: 16 queues
// of default segments each take about 12 MiB of stored records (three
// segments, so the wal cycles) in groups of 16 records of 200 series, are
// drained, and the live heap after a GC is divided by the number of
// queues. Run with -benchtime 1x; b.N is ignored.
func BenchmarkQueueMemory(b *testing.B) {
	payloads := make([][]byte, 64)
	for i := range payloads {
		payloads[i] = seriesPayload(i*200, 200)
	}
	b.Run("caught-up", func(b *testing.B) {
		queueMemory(b, payloads, Options{IdleRelease: time.Hour}, 0)
	})
	b.Run("idle", func(b *testing.B) {
		queueMemory(b, payloads, Options{IdleRelease: 100 * time.Millisecond}, 300*time.Millisecond)
	})
}

// queueMemory fills and drains 16 queues opened with opts, waits for idle
// (a NextBatch waiting that long too, when idle is not zero) and reports
// the live heap per queue.
func queueMemory(b *testing.B, payloads [][]byte, opts Options, idle time.Duration) {
	const queues = 16
	base := liveHeap()
	qs := make([]*Queue, queues)
	for i := range qs {
		qs[i] = openTest(b, b.TempDir(), opts)
	}
	for _, q := range qs {
		fillAndDrain(b, q, payloads, 12<<20)
	}
	if idle > 0 {
		time.Sleep(idle)
		for _, q := range qs {
			ctx, cancel := context.WithTimeout(context.Background(), idle)
			_, _ = q.NextBatch(ctx, 5000)
			cancel()
		}
	}
	b.ReportMetric(float64(liveHeap()-base)/queues/(1<<20), "MiB/queue")
}

// fillAndDrain appends records of payloads in groups of 16 until about
// bytes are stored, then reads and acknowledges every batch.
func fillAndDrain(b *testing.B, q *Queue, payloads [][]byte, bytes int64) {
	recs := make([]Record, 16)
	for k := 0; q.diskBytes.Load() < bytes; k++ {
		for j := range recs {
			recs[j] = Record{Kind: KindSeries, Samples: 200, Payload: payloads[(k*16+j)%len(payloads)]}
		}
		if err := q.Append(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	for {
		batch, ok, err := q.formBatch(5000)
		if err != nil {
			b.Fatal(err)
		}
		if !ok {
			return
		}
		if err := q.Ack(batch); err != nil {
			b.Fatal(err)
		}
	}
}

// liveHeap returns the bytes of heap in use after a garbage collection.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}
