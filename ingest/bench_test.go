package ingest

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

const benchSeries = 2000

// nopTarget acknowledges at once.
type nopTarget struct{}

func (nopTarget) Submit(_ []queue.Record, done chan<- error) { done <- nil }

// benchRouting is a real ring over 4 backends, 2 replicas, 4 shards.
func benchRouting(b *testing.B) *Routing { return benchRoutingOf(b, 4, 2, 4) }

// benchRoutingOf is a real ring over n backends, rf replicas and shards
// shards, with no-op targets.
func benchRoutingOf(b *testing.B, n, rf, shards int) *Routing {
	var ids []string
	for i := range n {
		ids = append(ids, "b"+strconv.Itoa(i))
	}
	ring, err := router.New(ids, rf, shards)
	if err != nil {
		b.Fatal(err)
	}
	rt := &Routing{Ring: ring, Key: router.KeySeries}
	for range ids {
		rt.Targets = append(rt.Targets, slices.Repeat([]Target{nopTarget{}}, shards))
	}
	return rt
}

// BenchmarkDecodeRoute: decode, validate, hash, look up and copy into the
// per-target buffers a 2000-series node_exporter-shaped request.
//
//	go test -run '^$' -bench DecodeRoute -benchmem ./ingest
func BenchmarkDecodeRoute(b *testing.B) {
	body, _ := nodeExporterRequest(benchSeries).Marshal()
	rt := benchRouting(b)
	b.Run("fast", func(b *testing.B) { benchPath(b, rt, body, Options{}) })
	b.Run("fast-2x2-rf1", func(b *testing.B) { benchPath(b, benchRoutingOf(b, 2, 1, 2), body, Options{}) })
	b.Run("gogo-rewrite", func(b *testing.B) {
		benchPath(b, rt, body, Options{ExternalLabels: labels.FromStrings("zz_replica", "a")})
	})
	b.Run("gogo-full-decode", func(b *testing.B) { benchGogo(b, rt, body) })
}

func benchPath(b *testing.B, rt *Routing, body []byte, opts Options) {
	o := opts.withDefaults()
	st := &reqState{}
	ext := externalLabels(o.ExternalLabels)
	run := func() { decodePlace(b, st, rt, &o, ext, body) }
	run() // warm the state up: the steady state is what is measured
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		run()
	}
	reportPerSeries(b)
}

// decodePlace runs passes 1 and 2 (decode, place) of the 1.0 body on st,
// as Handler.route does, with no limiter.
func decodePlace(b *testing.B, st *reqState, rt *Routing, o *Options, ext []extLabel, body []byte) {
	st.place.clear()
	st.prepare(rt, o, ext, 0, nil)
	if err := st.dec.decode(body); err != nil {
		b.Fatal(err)
	}
	if err := st.place.place(rt, &st.dec, body, nil, o.BatchSamples); err != nil {
		b.Fatal(err)
	}
}

// reportPerSeries adds the ns/series metric for a benchSeries request.
func reportPerSeries(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchSeries), "ns/series")
}

// benchGogo is the classic receiver: gogo-unmarshal the whole request,
// hash the decoded labels, look up, and marshal every series again into
// its targets' buffers.
func benchGogo(b *testing.B, rt *Routing, body []byte) {
	h := router.NewHasher(router.KeySeries)
	bufs := make([][]byte, 16)
	var dst []int
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(body); err != nil {
			b.Fatal(err)
		}
		for i := range bufs {
			bufs[i] = bufs[i][:0]
		}
		for i := range wr.Timeseries {
			ts := &wr.Timeseries[i]
			h.Reset()
			for _, l := range ts.Labels {
				h.AddString(l.Name, l.Value)
			}
			dst = rt.Ring.Lookup(h.Sum64(), nil, dst[:0])
			shard := rt.Ring.Shard(h.Sum64())
			raw, _ := ts.Marshal()
			for _, be := range dst {
				k := be*4 + shard
				bufs[k] = append(appendVarint(append(bufs[k], 0x0a), uint64(len(raw))), raw...)
			}
		}
	}
	reportPerSeries(b)
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// BenchmarkHandler: the whole handler (read, snappy, decode, route,
// submit, wait) for a 2000-series request with no-op targets.
//
//	go test -run '^$' -bench Handler -benchmem ./ingest
func BenchmarkHandler(b *testing.B) {
	benchHandler(b, compress(marshal(b, nodeExporterRequest(benchSeries))), "application/x-protobuf")
}

// benchHandler serves the snappy body comp, sent with Content-Type ct,
// over and over through a Handler with no-op targets.
func benchHandler(b *testing.B, comp []byte, ct string) {
	h := NewHandler(Options{}, nil)
	h.SetRouting(benchRouting(b))
	rd := bytes.NewReader(comp)
	defer rd.Reset(nil)
	req, _ := http.NewRequest(http.MethodPost, "/api/v1/write", io.NopCloser(rd))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Content-Encoding", "snappy")
	req.ContentLength = int64(len(comp))
	w := &discardWriter{h: http.Header{}}
	h.ServeHTTP(w, req) // warm the pool up
	b.SetBytes(int64(len(comp)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(comp)
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != http.StatusNoContent {
			b.Fatalf("status %d", w.code)
		}
	}
	reportPerSeries(b)
}
