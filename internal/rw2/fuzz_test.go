package rw2

import (
	"bytes"
	"math"
	"testing"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// FuzzRoundTrip: any remote-write 1.0 request the queue could hold goes
// to 2.0 (Encoder) and back to 1.0 (the per-message conversions ingest
// uses) with its labels, samples bit for bit, start timestamps,
// histograms and exemplars unchanged; the 2.0 request is well formed (its
// symbols table starts with "" and holds every reference). Bodies that
// are not a 1.0 request are refused by both sides. The seed corpus is in
// testdata/fuzz/FuzzRoundTrip.
func FuzzRoundTrip(f *testing.F) {
	for _, wr := range seedRequests() {
		b, err := wr.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in prompb.WriteRequest
		if in.Unmarshal(body) != nil {
			return
		}
		out, n, err := NewEncoder().Encode(body, true)
		if err != nil || n != len(in.Timeseries) {
			t.Fatalf("encode: %d series of %d, %v", n, len(in.Timeseries), err)
		}
		var req writev2.Request
		if err := req.Unmarshal(out); err != nil {
			t.Fatalf("the 2.0 request does not decode: %v", err)
		}
		checkSymbols(t, &req)
		for i := range in.Timeseries {
			checkSeries(t, &in.Timeseries[i], req.Symbols, &req.Timeseries[i])
		}
	})
}

// checkSymbols: the symbols table starts with "" and every reference is
// inside it.
func checkSymbols(t *testing.T, req *writev2.Request) {
	t.Helper()
	if len(req.Symbols) == 0 || req.Symbols[0] != "" {
		t.Fatalf("symbols %q", req.Symbols)
	}
	for _, ts := range req.Timeseries {
		for _, r := range append(ts.LabelsRefs, ts.Metadata.HelpRef, ts.Metadata.UnitRef) {
			if int(r) >= len(req.Symbols) {
				t.Fatalf("reference %d outside %d symbols", r, len(req.Symbols))
			}
		}
	}
}

// checkSeries compares a 1.0 series with its 2.0 form turned back to 1.0.
func checkSeries(t *testing.T, want *prompb.TimeSeries, syms []string, got *writev2.TimeSeries) {
	t.Helper()
	if !sameLabels(want.Labels, syms, got.LabelsRefs) {
		t.Fatalf("labels %v, refs %v of %q", want.Labels, got.LabelsRefs, syms)
	}
	if len(got.Samples) != len(want.Samples) || len(got.Histograms) != len(want.Histograms) || len(got.Exemplars) != len(want.Exemplars) {
		t.Fatalf("%d/%d/%d samples/histograms/exemplars, want %d/%d/%d", len(got.Samples), len(got.Histograms),
			len(got.Exemplars), len(want.Samples), len(want.Histograms), len(want.Exemplars))
	}
	for i, s := range got.Samples {
		w := want.Samples[i]
		back := AppendStartTimestamp(nil, SampleSTField, s.StartTimestamp)
		if math.Float64bits(s.Value) != math.Float64bits(w.Value) || s.Timestamp != w.Timestamp ||
			StartTimestamp(back, SampleSTField) != StartTimestamp(w.XXX_unrecognized, SampleSTField) {
			t.Fatalf("sample %d: %+v, want %+v", i, s, w)
		}
	}
	for i := range got.Histograms {
		checkHistogram(t, &want.Histograms[i], &got.Histograms[i])
	}
	for i, e := range got.Exemplars {
		w := want.Exemplars[i]
		if !sameLabels(w.Labels, syms, e.LabelsRefs) || math.Float64bits(e.Value) != math.Float64bits(w.Value) || e.Timestamp != w.Timestamp {
			t.Fatalf("exemplar %d: %+v, want %+v", i, e, w)
		}
	}
}

// checkHistogram turns h back to 1.0 and compares its encoding with
// want's, whose unknown fields are reduced to its start timestamp (the
// only one 2.0 carries) and whose spans lose theirs.
func checkHistogram(t *testing.T, want *prompb.Histogram, h *writev2.Histogram) {
	t.Helper()
	back := HistogramToV1(h, AppendV1Spans(nil, h.NegativeSpans), AppendV1Spans(nil, h.PositiveSpans),
		AppendStartTimestamp(nil, HistogramSTField, h.StartTimestamp))
	norm := *want
	norm.XXX_unrecognized = AppendStartTimestamp(nil, HistogramSTField, StartTimestamp(want.XXX_unrecognized, HistogramSTField))
	norm.NegativeSpans, norm.PositiveSpans = knownSpans(want.NegativeSpans), knownSpans(want.PositiveSpans)
	a, errA := norm.Marshal()
	b, errB := back.Marshal()
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Fatalf("histogram differs after the round trip:\n got %+v\nwant %+v", back, norm)
	}
}

// knownSpans copies spans without their unknown fields.
func knownSpans(in []prompb.BucketSpan) []prompb.BucketSpan {
	if len(in) == 0 {
		return nil
	}
	out := make([]prompb.BucketSpan, len(in))
	for i, s := range in {
		out[i] = prompb.BucketSpan{Offset: s.Offset, Length: s.Length}
	}
	return out
}

func sameLabels(ls []prompb.Label, syms []string, refs []uint32) bool {
	if len(refs) != 2*len(ls) {
		return false
	}
	for i, l := range ls {
		n, v := refs[2*i], refs[2*i+1]
		if int(n) >= len(syms) || int(v) >= len(syms) || syms[n] != l.Name || syms[v] != l.Value {
			return false
		}
	}
	return true
}

// seedRequests are the shapes the queue holds: float series with and
// without start timestamps (odd values included), native histograms
// (integer and float, with spans, custom values, a start timestamp),
// exemplars and metadata.
func seedRequests() []prompb.WriteRequest {
	st := AppendStartTimestamp(nil, SampleSTField, 1_700_000_000_000)
	hst := AppendStartTimestamp(nil, HistogramSTField, 1_699_999_000_000)
	return []prompb.WriteRequest{
		{Timeseries: []prompb.TimeSeries{{
			Labels: []prompb.Label{{Name: "__name__", Value: "http_requests_total"}, {Name: "job", Value: "api"}},
			Samples: []prompb.Sample{{Value: 1, Timestamp: 1_700_000_001_000, XXX_unrecognized: st},
				{Value: math.Copysign(0, -1), Timestamp: 1_700_000_002_000}, {Value: math.NaN(), Timestamp: 1_700_000_003_000},
				{Value: math.Inf(-1), Timestamp: -5}},
			Exemplars: []prompb.Exemplar{{Labels: []prompb.Label{{Name: "trace_id", Value: "abc"}}, Value: 0.5, Timestamp: 1_700_000_001_500}},
		}}, Metadata: []prompb.MetricMetadata{{Type: prompb.MetricMetadata_COUNTER, MetricFamilyName: "http_requests", Help: "Requests."}}},
		{Timeseries: []prompb.TimeSeries{{
			Labels: []prompb.Label{{Name: "__name__", Value: "latency_seconds"}},
			Histograms: []prompb.Histogram{
				{Count: &prompb.Histogram_CountInt{CountInt: 7}, Sum: 3.5, Schema: 3, ZeroThreshold: 1e-128,
					ZeroCount:     &prompb.Histogram_ZeroCountInt{ZeroCountInt: 1},
					NegativeSpans: []prompb.BucketSpan{{Offset: -2, Length: 1}}, NegativeDeltas: []int64{1},
					PositiveSpans: []prompb.BucketSpan{{Offset: 0, Length: 2}, {Offset: 3, Length: 1}}, PositiveDeltas: []int64{2, -1, 3},
					ResetHint: prompb.Histogram_NO, Timestamp: 1_700_000_001_000, XXX_unrecognized: hst},
				{Count: &prompb.Histogram_CountFloat{CountFloat: 2.5}, Sum: -1, Schema: -53,
					ZeroCount:     &prompb.Histogram_ZeroCountFloat{ZeroCountFloat: 0},
					PositiveSpans: []prompb.BucketSpan{{Offset: 0, Length: 2}}, PositiveCounts: []float64{1, 1.5},
					CustomValues: []float64{0.1, 1}, ResetHint: prompb.Histogram_GAUGE, Timestamp: 1_700_000_002_000},
			},
		}}},
	}
}
