package rw2

import (
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// The 1.0 and 2.0 Histogram messages share fields 1–16, with the same
// numbers and enum values; 2.0 adds start_timestamp, field 17, which the
// 1.0 form keeps as an unknown field (AppendStartTimestamp).

// HistogramToV1 converts a 2.0 native histogram to 1.0, with neg and pos
// as its spans (converted by the caller, e.g. into an arena with
// AppendV1Spans) and unknown as its unknown fields. Bucket slices are
// shared with h.
func HistogramToV1(h *writev2.Histogram, neg, pos []prompb.BucketSpan, unknown []byte) prompb.Histogram {
	out := prompb.Histogram{
		Sum: h.Sum, Schema: h.Schema, ZeroThreshold: h.ZeroThreshold,
		NegativeSpans: neg, NegativeDeltas: h.NegativeDeltas, NegativeCounts: h.NegativeCounts,
		PositiveSpans: pos, PositiveDeltas: h.PositiveDeltas, PositiveCounts: h.PositiveCounts,
		ResetHint: prompb.Histogram_ResetHint(h.ResetHint), Timestamp: h.Timestamp,
		CustomValues: h.CustomValues, XXX_unrecognized: unknown,
	}
	switch c := h.Count.(type) {
	case *writev2.Histogram_CountInt:
		out.Count = &prompb.Histogram_CountInt{CountInt: c.CountInt}
	case *writev2.Histogram_CountFloat:
		out.Count = &prompb.Histogram_CountFloat{CountFloat: c.CountFloat}
	}
	switch z := h.ZeroCount.(type) {
	case *writev2.Histogram_ZeroCountInt:
		out.ZeroCount = &prompb.Histogram_ZeroCountInt{ZeroCountInt: z.ZeroCountInt}
	case *writev2.Histogram_ZeroCountFloat:
		out.ZeroCount = &prompb.Histogram_ZeroCountFloat{ZeroCountFloat: z.ZeroCountFloat}
	}
	return out
}

// HistogramToV2 converts a 1.0 native histogram to 2.0, without its start
// timestamp (see StartTimestamp). Bucket slices are shared with h, spans
// copied.
func HistogramToV2(h *prompb.Histogram) writev2.Histogram {
	out := writev2.Histogram{
		Sum: h.Sum, Schema: h.Schema, ZeroThreshold: h.ZeroThreshold,
		NegativeSpans: spansToV2(h.NegativeSpans), NegativeDeltas: h.NegativeDeltas, NegativeCounts: h.NegativeCounts,
		PositiveSpans: spansToV2(h.PositiveSpans), PositiveDeltas: h.PositiveDeltas, PositiveCounts: h.PositiveCounts,
		ResetHint: writev2.Histogram_ResetHint(h.ResetHint), Timestamp: h.Timestamp, CustomValues: h.CustomValues,
	}
	switch c := h.Count.(type) {
	case *prompb.Histogram_CountInt:
		out.Count = &writev2.Histogram_CountInt{CountInt: c.CountInt}
	case *prompb.Histogram_CountFloat:
		out.Count = &writev2.Histogram_CountFloat{CountFloat: c.CountFloat}
	}
	switch z := h.ZeroCount.(type) {
	case *prompb.Histogram_ZeroCountInt:
		out.ZeroCount = &writev2.Histogram_ZeroCountInt{ZeroCountInt: z.ZeroCountInt}
	case *prompb.Histogram_ZeroCountFloat:
		out.ZeroCount = &writev2.Histogram_ZeroCountFloat{ZeroCountFloat: z.ZeroCountFloat}
	}
	return out
}

// AppendV1Spans appends in, converted to 1.0, to dst.
func AppendV1Spans(dst []prompb.BucketSpan, in []writev2.BucketSpan) []prompb.BucketSpan {
	for _, sp := range in {
		dst = append(dst, prompb.BucketSpan{Offset: sp.Offset, Length: sp.Length})
	}
	return dst
}

func spansToV2(in []prompb.BucketSpan) []writev2.BucketSpan {
	if len(in) == 0 {
		return nil
	}
	out := make([]writev2.BucketSpan, len(in))
	for i, s := range in {
		out[i] = writev2.BucketSpan{Offset: s.Offset, Length: s.Length}
	}
	return out
}

// TypeToV1 maps a 2.0 metric type onto the 1.0 enum (same names and
// numbers); a type this build does not know becomes UNKNOWN.
func TypeToV1(t writev2.Metadata_MetricType) prompb.MetricMetadata_MetricType {
	if t < writev2.Metadata_METRIC_TYPE_UNSPECIFIED || t > writev2.Metadata_METRIC_TYPE_STATESET {
		return prompb.MetricMetadata_UNKNOWN
	}
	return prompb.MetricMetadata_MetricType(t)
}
