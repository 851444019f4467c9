package ingest

import (
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// The cases a Prometheus receiver refuses, and the remote-write 2.0 MUSTs,
// each refused at the door with 400 and nothing queued, even when the
// request also holds valid series (nothing of it is written).

var okSample = []prompb.Sample{{Value: 1, Timestamp: 1}}

// intHist is a valid integer histogram: buckets 2, 3, 1 and a zero
// bucket of 1 (count 7).
func intHist() prompb.Histogram {
	return prompb.Histogram{
		Count: &prompb.Histogram_CountInt{CountInt: 7}, Sum: 10, Schema: 0, ZeroThreshold: 1e-128,
		ZeroCount:     &prompb.Histogram_ZeroCountInt{ZeroCountInt: 1},
		PositiveSpans: []prompb.BucketSpan{{Offset: 0, Length: 3}}, PositiveDeltas: []int64{2, 1, -2},
		Timestamp: 1,
	}
}

// customHist is a valid float histogram with custom buckets.
func customHist() prompb.Histogram {
	return prompb.Histogram{
		Count: &prompb.Histogram_CountFloat{CountFloat: 3.5}, Sum: 1, Schema: -53,
		PositiveSpans: []prompb.BucketSpan{{Offset: 1, Length: 2}}, PositiveCounts: []float64{1.5, 2},
		CustomValues: []float64{0.1, 0.5}, Timestamp: 1,
	}
}

func withHist(edit func(h *prompb.Histogram), base func() prompb.Histogram) prompb.TimeSeries {
	h := base()
	edit(&h)
	return prompb.TimeSeries{Labels: lbls("__name__", "rpc_seconds", "job", "a"), Histograms: []prompb.Histogram{h}}
}

func TestRefusedLikePrometheusV1(t *testing.T) {
	valid := prompb.TimeSeries{Labels: lbls("__name__", "up", "job", "ok"), Samples: okSample}
	tests := []struct {
		name   string
		series prompb.TimeSeries
		want   string
	}{
		{"no metric name", prompb.TimeSeries{Labels: lbls("job", "a"), Samples: okSample},
			`series 1 {job="a"} (offset 42): invalid labels: series has no metric name (no __name__ label)`},
		{"empty metric name", prompb.TimeSeries{Labels: lbls("__name__", "", "job", "a"), Samples: okSample},
			`label "__name__": invalid labels: series has an empty metric name`},
		{"metric name only in another case", prompb.TimeSeries{Labels: lbls("__NAME__", "up"), Samples: okSample},
			"series has no metric name"},
		{"histogram count below buckets", withHist(func(h *prompb.Histogram) {
			h.Count = &prompb.Histogram_CountInt{CountInt: 5}
		}, intHist), `series 1 {__name__="rpc_seconds", job="a"} (offset 42): invalid native histogram: 7 observations found in buckets, but the Count field is 5`},
		{"histogram count above buckets", withHist(func(h *prompb.Histogram) {
			h.Count = &prompb.Histogram_CountInt{CountInt: 9}
		}, intHist), "histogram's observation count should equal"},
		{"histogram spans longer than buckets", withHist(func(h *prompb.Histogram) {
			h.PositiveSpans = []prompb.BucketSpan{{Offset: 0, Length: 4}}
		}, intHist), "positive side: spans need 4 buckets, have 3 buckets"},
		{"histogram negative bucket", withHist(func(h *prompb.Histogram) {
			h.PositiveDeltas = []int64{2, -3, 2}
		}, intHist), "observation count is negative"},
		{"histogram negative span offset", withHist(func(h *prompb.Histogram) {
			h.PositiveSpans = []prompb.BucketSpan{{Offset: 0, Length: 1}, {Offset: -1, Length: 2}}
		}, intHist), "span number 2 with offset -1"},
		{"histogram schema out of range", withHist(func(h *prompb.Histogram) { h.Schema = 9 }, intHist),
			"invalid native histogram"},
		{"float histogram negative count", withHist(func(h *prompb.Histogram) {
			h.PositiveCounts = []float64{-1.5, 5}
		}, customHist), "observation count is negative"},
		{"custom buckets not increasing", withHist(func(h *prompb.Histogram) {
			h.CustomValues = []float64{0.5, 0.1}
		}, customHist), "custom buckets"},
		{"custom buckets infinite bound", withHist(func(h *prompb.Histogram) {
			h.CustomValues = []float64{0.1, math.Inf(1)}
		}, customHist), "custom buckets"},
		{"custom buckets with zero count", withHist(func(h *prompb.Histogram) {
			h.ZeroCount = &prompb.Histogram_ZeroCountFloat{ZeroCountFloat: 1}
			h.Count = &prompb.Histogram_CountFloat{CountFloat: 4.5}
		}, customHist), "custom buckets: must have zero count of 0"},
		{"custom buckets with negative spans", withHist(func(h *prompb.Histogram) {
			h.NegativeSpans = []prompb.BucketSpan{{Offset: 0, Length: 1}}
			h.NegativeCounts = []float64{1}
		}, customHist), "custom buckets"},
		{"custom bounds on an exponential schema", withHist(func(h *prompb.Histogram) {
			h.CustomValues = []float64{1}
		}, intHist), "custom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBed(t, Options{}, 2, 1, 2)
			req := &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{valid, tc.series}}
			w := b.post(compress(marshal(t, req)))
			t.Logf("%d %s", w.Code, strings.TrimSpace(w.Body.String()))
			expectStatus(t, w.Code, w.Body.String(), http.StatusBadRequest, tc.want)
			expectUntouched(t, b)
		})
	}
	t.Run("long labels are clipped in the message", func(t *testing.T) {
		b := newBed(t, Options{}, 1, 1, 1)
		long := strings.Repeat("v", 1<<16)
		req := &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{Labels: lbls("a", long, "b", long), Samples: okSample}}}
		w := b.post(compress(marshal(t, req)))
		expectStatus(t, w.Code, w.Body.String(), http.StatusBadRequest, "series has no metric name")
		if w.Body.Len() > 1024 {
			t.Fatalf("message of %d bytes", w.Body.Len())
		}
	})
	t.Run("valid histograms pass", func(t *testing.T) {
		b := newBed(t, Options{}, 1, 1, 1)
		req := &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{valid,
			withHist(func(*prompb.Histogram) {}, intHist), withHist(func(*prompb.Histogram) {}, customHist)}}
		w := b.post(compress(marshal(t, req)))
		expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	})
}

// v2Of converts a 1.0 histogram to its 2.0 form for the 2.0 cases.
func v2Of(h prompb.Histogram) writev2.Histogram {
	out := writev2.Histogram{Sum: h.Sum, Schema: h.Schema, ZeroThreshold: h.ZeroThreshold, Timestamp: h.Timestamp,
		PositiveDeltas: h.PositiveDeltas, PositiveCounts: h.PositiveCounts, CustomValues: h.CustomValues}
	for _, s := range h.PositiveSpans {
		out.PositiveSpans = append(out.PositiveSpans, writev2.BucketSpan{Offset: s.Offset, Length: s.Length})
	}
	switch c := h.Count.(type) {
	case *prompb.Histogram_CountInt:
		out.Count = &writev2.Histogram_CountInt{CountInt: c.CountInt}
	case *prompb.Histogram_CountFloat:
		out.Count = &writev2.Histogram_CountFloat{CountFloat: c.CountFloat}
	}
	if z, ok := h.ZeroCount.(*prompb.Histogram_ZeroCountInt); ok {
		out.ZeroCount = &writev2.Histogram_ZeroCountInt{ZeroCountInt: z.ZeroCountInt}
	}
	return out
}

func TestRefusedLikeTheSpecV2(t *testing.T) {
	ok := []writev2.Sample{{Value: 1, Timestamp: 1}}
	badCount := intHist()
	badCount.Count = &prompb.Histogram_CountInt{CountInt: 5}
	tests := []struct {
		name string
		ts   writev2.TimeSeries
		kv   []string
		want string
	}{
		// "At least one element in samples or in histograms MUST be provided."
		{"neither samples nor histograms", writev2.TimeSeries{}, []string{"__name__", "x"},
			"series 1: invalid series: series has neither samples nor histograms"},
		{"exemplars only", writev2.TimeSeries{Exemplars: []writev2.Exemplar{{Value: 1, Timestamp: 1}}},
			[]string{"__name__", "x"}, "neither samples nor histograms"},
		// "A TimeSeries MUST NOT include both samples and histograms."
		{"samples and histograms", writev2.TimeSeries{Samples: ok, Histograms: []writev2.Histogram{v2Of(intHist())}},
			[]string{"__name__", "x"}, "series has both samples and histograms"},
		// "[labels] MUST NOT contain any empty label names or values."
		{"empty label value", writev2.TimeSeries{Samples: ok}, []string{"__name__", "x", "job", ""},
			`series 1: label "job": invalid labels: empty label value`},
		// Exemplars "MUST contain a timestamp."
		{"exemplar without timestamp", writev2.TimeSeries{Samples: ok, Exemplars: []writev2.Exemplar{{Value: 1}}},
			[]string{"__name__", "x"}, "exemplar 0 has no timestamp"},
		// What a Prometheus 2.0 receiver refuses besides.
		{"no metric name", writev2.TimeSeries{Samples: ok}, []string{"job", "a"},
			"series has no metric name"},
		{"invalid histogram", writev2.TimeSeries{Histograms: []writev2.Histogram{v2Of(badCount)}},
			[]string{"__name__", "x"}, "invalid native histogram: 7 observations found in buckets, but the Count field is 5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBed(t, Options{}, 2, 1, 2)
			v := newV2()
			v.add(writev2.TimeSeries{Samples: ok}, "__name__", "up", "job", "ok")
			v.add(tc.ts, tc.kv...)
			w := b.postV2(compress(marshal(t, v.build())))
			t.Logf("%d %s", w.Code, strings.TrimSpace(w.Body.String()))
			expectStatus(t, w.Code, w.Body.String(), http.StatusBadRequest, tc.want)
			expectWritten(t, w, 0, 0, 0)
			expectUntouched(t, b)
		})
	}
}
