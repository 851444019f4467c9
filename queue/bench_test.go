package queue

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkSubmit measures Submit + wait of 1 KiB records with several
// concurrent writers sharing group commits. It reports records/s and
// fsyncs per record.
func BenchmarkSubmit(b *testing.B) {
	for _, writers := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			q := openTest(b, b.TempDir(), Options{})
			rec := []Record{{Kind: KindSeries, Samples: 10, Payload: make([]byte, 1024)}}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.SetBytes(1024)
			b.ReportAllocs()
			b.ResetTimer()
			for range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					done := make(chan error, 1)
					for next.Add(1) <= int64(b.N) {
						q.Submit(rec, done)
						if err := <-done; err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
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
		batch, ok, err := q.formBatch(5000)
		if err != nil {
			b.Fatal(err)
		}
		if !ok {
			b.StopTimer()
			refill()
			b.StartTimer()
			if batch, _, err = q.formBatch(5000); err != nil {
				b.Fatal(err)
			}
		}
		samples += batch.Samples
		if err := q.Ack(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
}
