package queue

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSubmit measures Submit + wait of 1 KiB records with several
// concurrent writers sharing group commits. It reports records/s and
// fsyncs per record.
func BenchmarkSubmit(b *testing.B) {
	for _, writers := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			q := openTest(b, b.TempDir(), Options{})
			rec := []Record{{Kind: KindSeries, Samples: 10, Payload: make([]byte, 1024)}}
			b.SetBytes(1024)
			b.ReportAllocs()
			b.ResetTimer()
			submitConcurrently(b, q, rec, writers)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(q.fsyncs.Load())/float64(b.N), "fsyncs/op")
		})
	}
}

// BenchmarkNextBatch measures forming and acknowledging 5000-sample
// batches of 1 KiB records with 50 samples each (100 records a batch),
// the cursor fsync per batch included. One op is one batch.
func BenchmarkNextBatch(b *testing.B) {
	q := openTest(b, b.TempDir(), Options{})
	recs := make([]Record, 1000)
	for i := range recs {
		recs[i] = Record{Kind: KindSeries, Samples: 50, Payload: make([]byte, 1024)}
	}
	refill := func() {
		for range 10 {
			if err := q.Append(context.Background(), recs); err != nil {
				b.Fatal(err)
			}
		}
	}
	refill()
	b.ReportAllocs()
	b.ResetTimer()
	samples := 0
	for range b.N {
		samples += formAndAck(b, q, refill).Samples
	}
	b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
}

// cpuTime is the process' user + system CPU time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSubmitSeries measures Submit + wait of records shaped like
// the daemon's: 500 node_exporter-like series (about 170 KB raw), one
// request's share for one target, with 32 concurrent writers. It reports
// the process CPU per record (the wait for fsync excluded) and the bytes
// the queue wrote per record.
func BenchmarkSubmitSeries(b *testing.B) {
	q := openTest(b, b.TempDir(), Options{})
	rec := []Record{{Kind: KindSeries, Samples: 500, Payload: seriesPayload(0, 500)}}
	b.SetBytes(int64(len(rec[0].Payload)))
	b.ReportAllocs()
	disk0 := q.diskBytes.Load()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	submitConcurrently(b, q, rec, 32)
	b.StopTimer()
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(q.diskBytes.Load()-disk0)/float64(b.N), "disk-B/op")
}

// BenchmarkNextBatchSeries measures forming and acknowledging
// 5000-sample batches of 100-series records (50 records a batch), the
// cursor fsync included. One op is one batch; it reports the process CPU
// per batch.
func BenchmarkNextBatchSeries(b *testing.B) {
	q := openTest(b, b.TempDir(), Options{})
	recs := make([]Record, 500)
	for i := range recs {
		recs[i] = Record{Kind: KindSeries, Samples: 100, Payload: seriesPayload(i*100, 100)}
	}
	var refillCPU time.Duration
	refill := func() {
		cpu0 := cpuTime(b)
		if err := q.Append(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
		refillCPU += cpuTime(b) - cpu0
	}
	refill()
	refillCPU = 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for range b.N {
		formAndAck(b, q, refill)
	}
	cpu := cpuTime(b) - cpu0 - refillCPU
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

// submitConcurrently runs writers goroutines that Submit rec and wait for
// it, b.N times in all.
func submitConcurrently(b *testing.B, q *Queue, rec []Record, writers int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			done := make(chan error, 1)
			for next.Add(1) <= int64(b.N) {
				q.Submit(rec, done)
				if err := <-done; err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// formAndAck forms the next batch of at most 5000 samples and
// acknowledges it; when the queue is drained it first calls refill with
// the timer stopped.
func formAndAck(b *testing.B, q *Queue, refill func()) Batch {
	batch, ok, err := q.formBatch(5000)
	if err == nil && !ok {
		b.StopTimer()
		refill()
		b.StartTimer()
		batch, _, err = q.formBatch(5000)
	}
	if err != nil {
		b.Fatal(err)
	}
	if err := q.Ack(batch); err != nil {
		b.Fatal(err)
	}
	return batch
}
