package replay

import (
	"bytes"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"

	"github.com/prws/prws/queue"
)

// v2ok answers like a remote-write 2.0 receiver that wrote everything.
func v2ok(w http.ResponseWriter, r *http.Request) {
	for _, h := range []string{"Samples", "Histograms", "Exemplars"} {
		w.Header().Set("X-Prometheus-Remote-Write-"+h+"-Written", "1")
	}
	w.WriteHeader(http.StatusNoContent)
}

// v2Steps is n times v2ok.
func v2Steps(n int) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = v2ok
	}
	return out
}

func useV2(ep *Endpoint, _ *Options) { ep.Protocol = ProtocolV2 }

// richBatch has sorted labels, samples with a stale marker, integer and
// float histograms, exemplars and metadata for two of its families.
func richBatch(t *testing.T) (queue.Batch, *prompb.WriteRequest) {
	stale := math.Float64frombits(0x7ff0000000000002)
	wr := &prompb.WriteRequest{
		Timeseries: []prompb.TimeSeries{
			{Labels: []prompb.Label{{Name: "__name__", Value: "up"}, {Name: "job", Value: "a"}},
				Samples: []prompb.Sample{{Value: 1, Timestamp: 1}, {Value: stale, Timestamp: 2}}},
			{Labels: []prompb.Label{{Name: "__name__", Value: "rpc_seconds_bucket"}, {Name: "le", Value: "1"}},
				Samples: []prompb.Sample{{Value: 3, Timestamp: 3}}},
			{Labels: []prompb.Label{{Name: "__name__", Value: "rpc_native"}},
				Histograms: []prompb.Histogram{
					{Count: &prompb.Histogram_CountInt{CountInt: 12}, Sum: 42.5, Schema: 3,
						ZeroCount:     &prompb.Histogram_ZeroCountInt{ZeroCountInt: 2},
						NegativeSpans: []prompb.BucketSpan{{Offset: -2, Length: 2}}, NegativeDeltas: []int64{1, -1},
						ResetHint: prompb.Histogram_GAUGE, Timestamp: 4},
					{Count: &prompb.Histogram_CountFloat{CountFloat: 3.5}, PositiveCounts: []float64{1.5, 2},
						PositiveSpans: []prompb.BucketSpan{{Offset: 0, Length: 2}}, CustomValues: []float64{0.1}, Schema: -53, Timestamp: 5}},
				Exemplars: []prompb.Exemplar{{Labels: []prompb.Label{{Name: "trace_id", Value: "abc"}}, Value: 0.5, Timestamp: 4}}},
		},
		Metadata: []prompb.MetricMetadata{
			{Type: prompb.MetricMetadata_GAUGE, MetricFamilyName: "up", Help: "Up."},
			{Type: prompb.MetricMetadata_HISTOGRAM, MetricFamilyName: "rpc_seconds", Help: "RPC.", Unit: "seconds"},
			{Type: prompb.MetricMetadata_COUNTER, MetricFamilyName: "absent_total", Help: "No series here."},
		},
	}
	body, err := wr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return queue.Batch{First: 1, Last: 4, Samples: 5, Records: 4, Snappy: snappy.Encode(nil, body)}, wr
}

// decodeV2 checks the protocol headers of a received request and decodes
// its body.
func decodeV2(t *testing.T, r request) *writev2.Request {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/x-protobuf;proto=io.prometheus.write.v2.Request" {
		t.Fatalf("Content-Type %q", ct)
	}
	if v := r.header.Get("X-Prometheus-Remote-Write-Version"); v != "2.0.0" {
		t.Fatalf("X-Prometheus-Remote-Write-Version %q", v)
	}
	var req writev2.Request
	if err := req.Unmarshal(decode(t, r.body)); err != nil {
		t.Fatalf("body is not a remote-write 2.0 request: %v", err)
	}
	if len(req.Symbols) == 0 || req.Symbols[0] != "" {
		t.Fatalf("symbols table must start with \"\": %q", req.Symbols)
	}
	return &req
}

// asV1 converts a received 2.0 request back with the 2.0 package's own
// helpers, for comparison with the batch it came from.
func asV1(t *testing.T, req *writev2.Request) []string {
	t.Helper()
	var out []string
	var sb labels.ScratchBuilder
	for _, ts := range req.Timeseries {
		ls, err := ts.ToLabels(&sb, req.Symbols)
		if err != nil {
			t.Fatal(err)
		}
		md, err := ts.ToMetadata(req.Symbols)
		if err != nil {
			t.Fatal(err)
		}
		line := ls.String() + " " + string(md.Type) + " " + md.Help + " " + md.Unit
		for _, s := range ts.Samples {
			line += fmt.Sprintf(" value:%v timestamp:%d", s.Value, s.Timestamp)
		}
		for _, h := range ts.Histograms {
			line += " " + h.ToFloatHistogram().String()
		}
		for _, e := range ts.Exemplars {
			ex, err := e.ToExemplar(&sb, req.Symbols)
			if err != nil {
				t.Fatal(err)
			}
			line += " " + ex.Labels.String()
		}
		out = append(out, line)
	}
	return out
}

func TestV2EndpointGetsConvertedBatch(t *testing.T) {
	b, _ := richBatch(t)
	src := newFakeSource(b)
	be := newBackend(t, v2Steps(1)...)
	newHarness(t, be, src, useV2)
	src.waitAcks(t, 1)
	req := decodeV2(t, be.requests()[0])
	got := asV1(t, req)
	want := []string{
		`{__name__="up", job="a"} gauge Up.  value:1 timestamp:1 value:NaN timestamp:2`,
		`{__name__="rpc_seconds_bucket", le="1"} histogram RPC. seconds value:3 timestamp:3`,
		`{__name__="rpc_native"} unknown   `,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d series: %q", len(got), got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Fatalf("series %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
	if !strings.HasSuffix(got[2], `{trace_id="abc"}`) {
		t.Fatalf("exemplar lost: %q", got[2])
	}
	if !strings.Contains(got[0], "gauge Up.") || !strings.Contains(got[1], "histogram RPC. seconds") {
		t.Fatalf("metadata not attached: %q", got)
	}
	if req.Timeseries[0].Samples[1].Value == req.Timeseries[0].Samples[1].Value ||
		math.Float64bits(req.Timeseries[0].Samples[1].Value) != 0x7ff0000000000002 {
		t.Fatal("stale marker bits changed")
	}
	checkHistograms(t, req)
}

// checkHistograms compares the received native histograms field by field
// with the batch's.
func checkHistograms(t *testing.T, req *writev2.Request) {
	t.Helper()
	h := req.Timeseries[2].Histograms
	if len(h) != 2 || h[0].GetCountInt() != 12 || h[0].GetZeroCountInt() != 2 || h[0].Schema != 3 ||
		h[0].ResetHint != writev2.Histogram_RESET_HINT_GAUGE || !reflect.DeepEqual(h[0].NegativeDeltas, []int64{1, -1}) ||
		h[0].NegativeSpans[0].Offset != -2 || h[0].Timestamp != 4 {
		t.Fatalf("integer histogram %v", h[0])
	}
	if !h[1].IsFloatHistogram() || h[1].GetCountFloat() != 3.5 || h[1].Schema != -53 ||
		!reflect.DeepEqual(h[1].CustomValues, []float64{0.1}) || !reflect.DeepEqual(h[1].PositiveCounts, []float64{1.5, 2}) {
		t.Fatalf("float histogram %v", h[1])
	}
}

// Retries of a 2.0 batch send the very same bytes.
func TestV2RetriesAreByteIdentical(t *testing.T) {
	b, _ := richBatch(t)
	src := newFakeSource(b)
	be := newBackend(t, status(503, "busy"), status(500, "oops"), v2ok)
	newHarness(t, be, src, useV2)
	src.waitAcks(t, 1)
	reqs := be.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	for _, r := range reqs[1:] {
		if !bytes.Equal(r.body, reqs[0].body) || r.header.Get("Content-Type") != reqs[0].header.Get("Content-Type") {
			t.Fatal("retry differs from the first attempt")
		}
	}
	decodeV2(t, reqs[0])
}

// "2.x Senders also MAY automatically fall back to different content
// types, if the Receiver returns 415": the batch is resent as 1.0 at once
// and every later batch goes as 1.0; logged once.
func TestV2FallsBackOn415(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""), makeBatch(t, 1, ""))
	be := newBackend(t, status(http.StatusUnsupportedMediaType, "v2 not supported"))
	h := newHarness(t, be, src, useV2)
	src.waitAcks(t, 2)
	reqs := be.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3 (v2, v1, v1)", len(reqs))
	}
	decodeV2(t, reqs[0])
	for i, r := range reqs[1:] {
		if r.header.Get("Content-Type") != "application/x-protobuf" || r.header.Get("X-Prometheus-Remote-Write-Version") != "0.1.0" {
			t.Fatalf("request %d headers %v", i+1, r.header)
		}
		if want := rawBody(t, makeBatch(t, i, "")); !bytes.Equal(decode(t, r.body), want) {
			t.Fatalf("request %d is not batch %d as 1.0", i+1, i)
		}
	}
	if n := h.logs.count(slog.LevelWarn, "backend does not take remote-write 2.0; sending remote-write 1.0 from now on"); n != 1 {
		t.Fatalf("fallback logged %d times", n)
	}
	if h.metric(t, "prws_remote_dead_letter_batches_total", nil) != 0 {
		t.Fatal("415 to a 2.0 request dead-lettered the batch")
	}
	if h.metric(t, "prws_remote_requests_total", map[string]string{"code": "415"}) != 1 {
		t.Fatal("the refused 2.0 request was not counted")
	}
}

// "Senders SHOULD assume 415 ... when sending the data using
// io.prometheus.write.v2.Request request and receiving 2xx HTTP status
// code, but none of the X-Prometheus-Remote-Write-*-Written response
// headers": a 1.0 receiver read the body as an empty 1.0 request, so the
// batch was not written and is resent as 1.0.
func TestV2SuccessWithoutWrittenHeadersFallsBack(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	be := newBackend(t, status(http.StatusNoContent, ""))
	newHarness(t, be, src, useV2)
	src.waitAcks(t, 1)
	reqs := be.requests()
	if len(reqs) != 2 || reqs[1].header.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("%d requests; want the v2 one then its 1.0 resend", len(reqs))
	}
}

// A batch of metadata only has nothing 2.0 can carry: it is acknowledged
// without a request.
func TestV2MetadataOnlyBatch(t *testing.T) {
	wr := prompb.WriteRequest{Metadata: []prompb.MetricMetadata{{Type: prompb.MetricMetadata_GAUGE, MetricFamilyName: "up"}}}
	body, _ := wr.Marshal()
	src := newFakeSource(queue.Batch{First: 0, Last: 0, Records: 1, Snappy: snappy.Encode(nil, body)}, makeBatch(t, 1, ""))
	be := newBackend(t, v2Steps(1)...)
	newHarness(t, be, src, useV2)
	src.waitAcks(t, 2)
	if n := len(be.requests()); n != 1 {
		t.Fatalf("%d requests, want 1 (the series batch)", n)
	}
}

func TestParseProtocol(t *testing.T) {
	for in, want := range map[string]Protocol{"": ProtocolV1, "v1": ProtocolV1, "v2": ProtocolV2} {
		if got, err := ParseProtocol(in); err != nil || got != want {
			t.Fatalf("ParseProtocol(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"V2", "2.0", "v3"} {
		if _, err := ParseProtocol(in); err == nil {
			t.Fatalf("ParseProtocol(%q) accepted", in)
		}
	}
}

// An unknown protocol sends nothing and keeps the batch: every attempt
// fails with an error naming it.
func TestUnknownProtocolRetries(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	be := newBackend(t)
	h := newHarness(t, be, src, func(ep *Endpoint, o *Options) { ep.Protocol = "v3"; o.RetryTimes = 1 })
	waitFor(t, func() bool { return strings.Contains(h.w.Status().LastError, `unknown remote-write protocol "v3"`) })
	if len(be.requests()) != 0 || src.ackedCount() != 0 {
		t.Fatal("a batch was sent or acknowledged")
	}
}

// waitFor polls cond until it holds; reaching safety is a failure.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(safety)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(time.Millisecond)
	}
}
