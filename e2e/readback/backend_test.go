package readback

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/golang/snappy"
	remoteapi "github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/storage/remote"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

// backend is one in-process Prometheus receiver: its remote-write
// handler over a tsdb in a temporary directory, served on 127.0.0.1. It
// also notes the metadata families 1.0 requests carried, which
// Prometheus' 1.0 receiver does not store.
type backend struct {
	name string
	dir  string
	db   *tsdb.DB
	srv  *httptest.Server

	mu       sync.Mutex          // guards v1Meta
	v1Meta   map[string]struct{} // families of 1.0 metadata received
	closeErr error
}

// newBackend opens a tsdb with every feature the comparison reads back
// (exemplars, start timestamps stored per sample and ingested as zero
// samples, metadata records in the WAL) and serves Prometheus' write
// handler for 1.0 and 2.0 with type-and-unit labels on.
func newBackend(t *testing.T, name string) *backend {
	t.Helper()
	opts := tsdb.DefaultOptions()
	opts.EnableExemplarStorage, opts.MaxExemplars = true, 10000
	opts.EnableSTAsZeroSample = true
	opts.EnableSTStorage, opts.FloatChunkEncoding, opts.EnableHistogramSTEncoding = true, chunkenc.EncXOR2, true
	opts.EnableMetadataWALRecords = true
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := &backend{name: name, dir: t.TempDir(), v1Meta: map[string]struct{}{}}
	db, err := tsdb.Open(b.dir, log, nil, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.db = db
	h := remote.NewWriteHandler(log, nil, db,
		remoteapi.MessageTypes{remoteapi.WriteV1MessageType, remoteapi.WriteV2MessageType}, true, true)
	b.srv = httptest.NewServer(b.noteV1Metadata(h))
	t.Cleanup(func() { b.srv.Close(); b.close() })
	return b
}

// url is the backend's remote-write URL.
func (b *backend) url() string { return b.srv.URL + "/api/v1/write" }

// close closes the tsdb once (flushing its WAL); later calls return the
// first answer.
func (b *backend) close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.db != nil {
		b.closeErr = b.db.Close()
		b.db = nil
	}
	return b.closeErr
}

// noteV1Metadata records the metadata families of 1.0 requests, then
// passes the request on unchanged.
func (b *backend) noteV1Metadata(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Content-Type"), "io.prometheus.write.v2") {
			next.ServeHTTP(w, r)
			return
		}
		comp, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(comp))
		var wr prompb.WriteRequest
		if body, err := snappy.Decode(nil, comp); err == nil && wr.Unmarshal(body) == nil {
			b.mu.Lock()
			for _, m := range wr.Metadata {
				b.v1Meta[m.MetricFamilyName] = struct{}{}
			}
			b.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// v1MetaFamilies is the number of data set families whose 1.0 metadata
// reached the backend.
func (b *backend) v1MetaFamilies() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for f := range families {
		if _, ok := b.v1Meta[f]; ok {
			n++
		}
	}
	return n
}
