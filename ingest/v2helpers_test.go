package ingest

import (
	"bytes"
	"math"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

const ctV2 = "application/x-protobuf;proto=io.prometheus.write.v2.Request"

// v2Builder builds remote-write 2.0 requests with a real symbols table.
type v2Builder struct {
	st  writev2.SymbolsTable
	req writev2.Request
}

func newV2() *v2Builder { return &v2Builder{st: writev2.NewSymbolTable()} }

// refs symbolizes name, value pairs in the order given.
func (b *v2Builder) refs(kv ...string) []uint32 {
	var out []uint32
	for _, s := range kv {
		out = append(out, b.st.Symbolize(s))
	}
	return out
}

// add appends ts with labels kv.
func (b *v2Builder) add(ts writev2.TimeSeries, kv ...string) *v2Builder {
	ts.LabelsRefs = b.refs(kv...)
	b.req.Timeseries = append(b.req.Timeseries, ts)
	return b
}

func (b *v2Builder) meta(t writev2.Metadata_MetricType, help, unit string) writev2.Metadata {
	return writev2.Metadata{Type: t, HelpRef: b.st.Symbolize(help), UnitRef: b.st.Symbolize(unit)}
}

func (b *v2Builder) build() *writev2.Request {
	b.req.Symbols = b.st.Symbols()
	return &b.req
}

// postV2 posts a compressed v2 body.
func (b *testBed) postV2(body []byte, hdr ...string) *httptest.ResponseRecorder {
	return b.post(body, append([]string{"Content-Type", ctV2}, hdr...)...)
}

// richV2 has unsorted labels, integer and float histograms, exemplars,
// metadata (counter, histogram family) and start timestamps.
func richV2() *writev2.Request {
	b := newV2()
	ih := writev2.Histogram{
		Count: &writev2.Histogram_CountInt{CountInt: 9}, Sum: 42.5, Schema: 3, ZeroThreshold: 1e-128,
		ZeroCount:     &writev2.Histogram_ZeroCountInt{ZeroCountInt: 2},
		NegativeSpans: []writev2.BucketSpan{{Offset: -2, Length: 2}}, NegativeDeltas: []int64{1, -1},
		PositiveSpans: []writev2.BucketSpan{{Offset: 0, Length: 3}}, PositiveDeltas: []int64{2, 1, -2},
		ResetHint: writev2.Histogram_RESET_HINT_GAUGE, Timestamp: 1700000000123, StartTimestamp: 1699999999000,
	}
	fh := writev2.Histogram{
		Count: &writev2.Histogram_CountFloat{CountFloat: 3.5}, Sum: math.Float64frombits(staleNaN),
		PositiveSpans: []writev2.BucketSpan{{Offset: 1, Length: 2}}, PositiveCounts: []float64{1.5, 2},
		CustomValues: []float64{0.1, 0.5}, Schema: -53, Timestamp: 1700000000456,
	}
	b.add(writev2.TimeSeries{Samples: []writev2.Sample{{Value: 1, Timestamp: 1}, {Value: math.Float64frombits(staleNaN), Timestamp: 2}},
		Metadata: b.meta(writev2.Metadata_METRIC_TYPE_GAUGE, "Up.", "")}, "job", "a", "__name__", "up")
	b.add(writev2.TimeSeries{Histograms: []writev2.Histogram{ih, fh},
		Metadata: b.meta(writev2.Metadata_METRIC_TYPE_HISTOGRAM, "RPC latency.", "seconds")},
		"__name__", "rpc_duration_seconds", "job", "b")
	b.add(writev2.TimeSeries{Samples: []writev2.Sample{{Value: 7, Timestamp: 3, StartTimestamp: 1}},
		Exemplars: []writev2.Exemplar{{LabelsRefs: b.refs("trace_id", "abc"), Value: 0.5, Timestamp: 3}},
		Metadata:  b.meta(writev2.Metadata_METRIC_TYPE_COUNTER, "Requests.", "1")},
		"__name__", "requests_total", "job", "c")
	b.add(writev2.TimeSeries{Samples: []writev2.Sample{{Value: 5, Timestamp: 4}},
		Exemplars: []writev2.Exemplar{{Value: 2, Timestamp: 4}}}, "__name__", "exemplar_only", "job", "d")
	return b.build()
}

// richV2AsV1 is what richV2 must become.
func richV2AsV1() *prompb.WriteRequest {
	v1 := richRequest()
	v1.Timeseries[0].Labels = lbls("__name__", "up", "job", "a")
	v1.Timeseries[3] = prompb.TimeSeries{Labels: lbls("__name__", "exemplar_only", "job", "d"),
		Samples:   []prompb.Sample{{Value: 5, Timestamp: 4}},
		Exemplars: []prompb.Exemplar{{Labels: []prompb.Label{}, Value: 2, Timestamp: 4}}}
	v1.Metadata = []prompb.MetricMetadata{
		{Type: prompb.MetricMetadata_GAUGE, MetricFamilyName: "up", Help: "Up."},
		{Type: prompb.MetricMetadata_HISTOGRAM, MetricFamilyName: "rpc_duration_seconds", Help: "RPC latency.", Unit: "seconds"},
		{Type: prompb.MetricMetadata_COUNTER, MetricFamilyName: "requests_total", Help: "Requests.", Unit: "1"},
	}
	return v1
}

// v2NodeExporter is nodeExporterRequest(n) as remote-write 2.0.
func v2NodeExporter(n int) *writev2.Request {
	b := newV2()
	for _, ts := range nodeExporterRequest(n).Timeseries {
		var kv []string
		for _, l := range ts.Labels {
			kv = append(kv, l.Name, l.Value)
		}
		b.add(writev2.TimeSeries{Samples: []writev2.Sample{{Value: ts.Samples[0].Value, Timestamp: ts.Samples[0].Timestamp}},
			Metadata: b.meta(writev2.Metadata_METRIC_TYPE_COUNTER, "Seconds the CPUs spent in each mode.", "seconds")}, kv...)
	}
	return b.build()
}

// queued gathers every series and metadata entry the targets received,
// sorted by their text, as one WriteRequest: metadata once, wherever it
// was (records of either kind, several targets), and series without the
// start timestamp fields (see queuedST).
func queued(t *testing.T, b *testBed) prompb.WriteRequest {
	t.Helper()
	all := queuedST(t, b)
	for i := range all.Timeseries {
		ts := &all.Timeseries[i]
		for j := range ts.Samples {
			ts.Samples[j].XXX_unrecognized = nil
		}
		for j := range ts.Histograms {
			ts.Histograms[j].XXX_unrecognized = nil
		}
	}
	return all
}

// queuedST is queued with the series as stored: start timestamps in
// their samples' and histograms' unknown fields.
func queuedST(t *testing.T, b *testBed) prompb.WriteRequest {
	t.Helper()
	var all prompb.WriteRequest
	seenMeta := map[string]bool{}
	b.each(func(_, _ int, tg *recTarget) {
		var body []byte
		for _, r := range tg.records() {
			body = append(body, r.Payload...)
		}
		wr := unmarshal(t, body)
		all.Timeseries = append(all.Timeseries, wr.Timeseries...)
		for _, m := range wr.Metadata {
			if !seenMeta[m.String()] {
				seenMeta[m.String()] = true
				all.Metadata = append(all.Metadata, m)
			}
		}
	})
	slices.SortFunc(all.Timeseries, func(a, b prompb.TimeSeries) int { return strings.Compare(a.String(), b.String()) })
	slices.SortFunc(all.Metadata, func(a, b prompb.MetricMetadata) int { return strings.Compare(a.String(), b.String()) })
	return all
}

// sortedCopy returns wr with series and metadata sorted as queued does.
func sortedCopy(wr *prompb.WriteRequest) prompb.WriteRequest {
	out := prompb.WriteRequest{Timeseries: slices.Clone(wr.Timeseries), Metadata: slices.Clone(wr.Metadata)}
	slices.SortFunc(out.Timeseries, func(a, b prompb.TimeSeries) int { return strings.Compare(a.String(), b.String()) })
	slices.SortFunc(out.Metadata, func(a, b prompb.MetricMetadata) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// expectWritten checks the three Written headers.
func expectWritten(t *testing.T, w *httptest.ResponseRecorder, samples, histograms, exemplars int) {
	t.Helper()
	for h, want := range map[string]int{hdrSamplesWritten: samples, hdrHistogramsWritten: histograms, hdrExemplarsWritten: exemplars} {
		got, err := strconv.ParseInt(w.Header().Get(h), 10, 64) // a single 64-bit integer
		if err != nil || got != int64(want) {
			t.Fatalf("%s = %q, want %d", h, w.Header().Get(h), want)
		}
	}
}

// expectSameRequest compares two requests by their encoding, so that NaN
// bit patterns (stale markers) count and nil equals empty.
func expectSameRequest(t *testing.T, got, want *prompb.WriteRequest) {
	t.Helper()
	if !bytes.Equal(marshal(t, got), marshal(t, want)) {
		t.Fatalf("requests differ:\n got %v\nwant %v", got, want)
	}
}
