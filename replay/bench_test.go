package replay

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/queue"
)

// loopSource hands out the same batch forever and counts acks.
type loopSource struct {
	b     queue.Batch
	acks  int
	limit int
	done  chan struct{}
}

func (s *loopSource) NextBatch(ctx context.Context, _ int) (queue.Batch, error) {
	if s.acks >= s.limit {
		<-ctx.Done()
		return queue.Batch{}, ctx.Err()
	}
	return s.b, nil
}

func (s *loopSource) SetSplit(queue.Batch, queue.Split) error { return nil }

func (s *loopSource) Ack(queue.Batch) error {
	s.acks++
	if s.acks == s.limit {
		close(s.done)
	}
	return nil
}

// BenchmarkDeliver measures one batch's encode, POST, classify and ack
// against a local backend that discards the body.
func BenchmarkDeliver(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	batch := makeBatch(b, 1, "")
	var raw []byte
	for len(raw) < 64<<10 {
		raw = append(raw, rawBody(b, makeBatch(b, 1, ""))...)
	}
	batch.Snappy = snappy.Encode(nil, raw)
	src := &loopSource{b: batch, limit: b.N, done: make(chan struct{})}
	w := mustWorker(&Endpoint{URL: srv.URL}, src, Options{})
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	w.Start()
	<-src.done
	b.StopTimer()
	_ = w.Stop(context.Background())
}

// BenchmarkLaneDivide measures dividing a batch of one-sample series
// into lanes and compressing them, what going wide costs per sample
// (the ns/sample metric): 20000 series of 5 labels into 4 lanes, and a
// default wide read, 40000 series of 15 labels into 8 lanes, whose lanes
// outgrow what a divider kept before it sized them for the read.
func BenchmarkLaneDivide(b *testing.B) {
	for _, c := range []struct {
		name                  string
		series, labels, lanes int
	}{{"5labels-4lanes", 20000, 5, 4}, {"15labels-8lanes", 40000, 15, 8}} {
		b.Run(c.name, func(b *testing.B) {
			req := &prompb.WriteRequest{}
			for i := range c.series {
				ls := []prompb.Label{{Name: "__name__", Value: "node_cpu_seconds_total"}, {Name: "cpu", Value: strconv.Itoa(i % 64)},
					{Name: "instance", Value: "host-" + strconv.Itoa(i/64) + ".example.org:9100"}, {Name: "job", Value: "node"}, {Name: "mode", Value: "idle"}}
				for k := len(ls); k < c.labels; k++ {
					ls = append(ls, prompb.Label{Name: "label_" + strconv.Itoa(k), Value: "value-" + strconv.Itoa(k) + "-" + strconv.Itoa(i%97)})
				}
				req.Timeseries = append(req.Timeseries, prompb.TimeSeries{
					Labels:  ls,
					Samples: []prompb.Sample{{Value: float64(i), Timestamp: 1700000000000 + int64(i)}},
				})
			}
			raw, err := req.Marshal()
			if err != nil {
				b.Fatal(err)
			}
			batch := queue.Batch{First: 1, Last: 10, Samples: c.series, Records: 10, Snappy: snappy.Encode(nil, raw)}
			var d laneDivider
			d.blocksFor(1)
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.divide(&batch, c.lanes); err != nil {
					b.Fatal(err)
				}
				for l := range c.lanes {
					d.encode(l, 0)
				}
				d.release()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(c.series), "ns/sample")
		})
	}
}
