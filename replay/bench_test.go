package replay

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golang/snappy"

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
