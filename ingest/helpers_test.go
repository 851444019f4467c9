package ingest

import (
	"bytes"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

// fakeHasher stands in for router.Hasher: xxhash over name\xffvalue\xff,
// only __name__ for router.KeyMetric.
type fakeHasher struct {
	key router.Key
	d   *xxhash.Digest
}

func newFakeHasher(k router.Key) Hasher { return &fakeHasher{key: k, d: xxhash.New()} }

func (h *fakeHasher) Reset() { h.d.Reset() }

func (h *fakeHasher) Add(name, value []byte) {
	if h.key == router.KeyMetric && string(name) != "__name__" {
		return
	}
	h.d.Write(name)
	h.d.Write([]byte{0xff})
	h.d.Write(value)
	h.d.Write([]byte{0xff})
}

func (h *fakeHasher) Sum64() uint64 { return h.d.Sum64() }

// fakeRing places hash h on backends h%n, h%n+1, ... and shard h>>32 % shards.
type fakeRing struct{ backends, replicas, shards int }

func (r fakeRing) Lookup(h uint64, _ router.Health, dst []int) []int {
	first := int(h % uint64(r.backends))
	for i := 0; i < r.replicas; i++ {
		dst = append(dst, (first+i)%r.backends)
	}
	return dst
}

func (r fakeRing) Shard(h uint64) int { return int((h >> 32) % uint64(r.shards)) }

// recTarget records what it is given; err is answered on done. When hold
// is non-nil, done is answered only once hold is closed.
type recTarget struct {
	mu        sync.Mutex // guards recs and submits
	recs      []queue.Record
	submits   int
	err       error
	hold      chan struct{}
	submitted chan struct{} // if non-nil, receives one value per Submit
}

func (t *recTarget) Submit(recs []queue.Record, done chan<- error) {
	t.mu.Lock()
	for _, r := range recs {
		r.Payload, r.Block = bytes.Clone(r.Payload), bytes.Clone(r.Block)
		t.recs = append(t.recs, r)
	}
	t.submits++
	t.mu.Unlock()
	if t.submitted != nil {
		t.submitted <- struct{}{}
	}
	if t.hold == nil {
		done <- t.err
		return
	}
	go func() { <-t.hold; done <- t.err }()
}

func (t *recTarget) records() []queue.Record {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]queue.Record(nil), t.recs...)
}

// testBed is a handler over backends x shards recording targets.
type testBed struct {
	h       *Handler
	m       *Metrics
	targets [][]*recTarget
	rt      *Routing
}

func newBed(t testing.TB, opts Options, backends, replicas, shards int) *testBed {
	t.Helper()
	b := &testBed{m: NewMetrics(nil)}
	b.h = NewHandler(opts, b.m)
	b.rt = &Routing{Ring: fakeRing{backends, replicas, shards}, Key: router.KeySeries, NewHasher: newFakeHasher}
	for i := 0; i < backends; i++ {
		var row []*recTarget
		var trow []Target
		for s := 0; s < shards; s++ {
			rt := &recTarget{}
			row, trow = append(row, rt), append(trow, rt)
		}
		b.targets = append(b.targets, row)
		b.rt.Targets = append(b.rt.Targets, trow)
	}
	b.h.SetRouting(b.rt)
	return b
}

// all returns every target with its (backend, shard).
func (b *testBed) each(f func(be, sh int, t *recTarget)) {
	for be, row := range b.targets {
		for sh, t := range row {
			f(be, sh, t)
		}
	}
}

func (b *testBed) totalRecords() int {
	n := 0
	b.each(func(_, _ int, t *recTarget) { n += len(t.records()) })
	return n
}

// post sends body (already compressed) with the given extra headers.
func (b *testBed) post(body []byte, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/write", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, req)
	return w
}

// marshal encodes a remote-write request, 1.0 or 2.0.
func marshal(t testing.TB, m interface{ Marshal() ([]byte, error) }) []byte {
	t.Helper()
	raw, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func compress(raw []byte) []byte { return snappy.Encode(nil, raw) }

// lbls builds labels from name, value pairs, in the order given.
func lbls(kv ...string) []prompb.Label {
	var out []prompb.Label
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, prompb.Label{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

// staleNaN is Prometheus' stale marker bit pattern.
const staleNaN = 0x7ff0000000000002

// nodeExporterRequest returns n series shaped like node_exporter output:
// 12 labels, one sample each, sorted labels.
func nodeExporterRequest(n int) *prompb.WriteRequest {
	wr := &prompb.WriteRequest{}
	for i := 0; i < n; i++ {
		ls := lbls("__name__", "node_cpu_seconds_total", "cluster", "prod-eu-1", "cpu", strconv.Itoa(i%64),
			"env", "production", "instance", "10.0.0."+strconv.Itoa(i%250)+":9100", "job", "node",
			"mode", "idle"+strconv.Itoa(i/64), "namespace", "monitoring", "node", "node-"+strconv.Itoa(i%250),
			"pod", "node-exporter-"+strconv.Itoa(i%250), "region", "eu-west-1", "zone", "eu-west-1a")
		wr.Timeseries = append(wr.Timeseries, prompb.TimeSeries{
			Labels:  ls,
			Samples: []prompb.Sample{{Value: float64(i) * 1.5, Timestamp: 1700000000000 + int64(i)}},
		})
	}
	return wr
}

// richRequest has histograms, exemplars, a stale marker and metadata.
func richRequest() *prompb.WriteRequest {
	h := prompb.Histogram{
		Count: &prompb.Histogram_CountInt{CountInt: 9}, Sum: 42.5, Schema: 3,
		ZeroThreshold: 1e-128, ZeroCount: &prompb.Histogram_ZeroCountInt{ZeroCountInt: 2},
		NegativeSpans: []prompb.BucketSpan{{Offset: -2, Length: 2}}, NegativeDeltas: []int64{1, -1},
		PositiveSpans: []prompb.BucketSpan{{Offset: 0, Length: 3}}, PositiveDeltas: []int64{2, 1, -2},
		ResetHint: prompb.Histogram_GAUGE, Timestamp: 1700000000123,
	}
	fh := prompb.Histogram{
		Count: &prompb.Histogram_CountFloat{CountFloat: 3.5}, Sum: math.Float64frombits(staleNaN),
		PositiveSpans: []prompb.BucketSpan{{Offset: 1, Length: 2}}, PositiveCounts: []float64{1.5, 2},
		CustomValues: []float64{0.1, 0.5}, Schema: -53, Timestamp: 1700000000456,
	}
	return &prompb.WriteRequest{
		Timeseries: []prompb.TimeSeries{
			{Labels: lbls("__name__", "up", "job", "a"), Samples: []prompb.Sample{
				{Value: 1, Timestamp: 1}, {Value: math.Float64frombits(staleNaN), Timestamp: 2}}},
			{Labels: lbls("__name__", "rpc_duration_seconds", "job", "b"), Histograms: []prompb.Histogram{h, fh}},
			{Labels: lbls("__name__", "requests_total", "job", "c"),
				Samples:   []prompb.Sample{{Value: 7, Timestamp: 3}},
				Exemplars: []prompb.Exemplar{{Labels: lbls("trace_id", "abc"), Value: 0.5, Timestamp: 3}}},
			{Labels: lbls("__name__", "empty_series", "job", "d")},
		},
		Metadata: []prompb.MetricMetadata{
			{Type: prompb.MetricMetadata_COUNTER, MetricFamilyName: "requests_total", Help: "Requests.", Unit: "1"},
			{Type: prompb.MetricMetadata_GAUGE, MetricFamilyName: "up", Help: "Up."},
		},
	}
}
