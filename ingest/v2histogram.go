package ingest

import (
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// convertHistograms copies native histograms into the arenas. The 1.0 and
// 2.0 Histogram messages share fields 1–16; 2.0's start_timestamp, field
// 17, is kept as an unknown field of the 1.0 message (stField); bucket
// slices are shared with the decoded request, spans are copied.
func (s *v2State) convertHistograms(in []writev2.Histogram) []prompb.Histogram {
	if len(in) == 0 {
		return nil
	}
	start := len(s.hists)
	for i := range in {
		h := &in[i]
		out := prompb.Histogram{
			Sum: h.Sum, Schema: h.Schema, ZeroThreshold: h.ZeroThreshold,
			NegativeSpans: s.convertSpans(h.NegativeSpans), NegativeDeltas: h.NegativeDeltas,
			NegativeCounts: h.NegativeCounts,
			PositiveSpans:  s.convertSpans(h.PositiveSpans), PositiveDeltas: h.PositiveDeltas,
			PositiveCounts: h.PositiveCounts,
			ResetHint:      prompb.Histogram_ResetHint(h.ResetHint), Timestamp: h.Timestamp,
			CustomValues:     h.CustomValues,
			XXX_unrecognized: s.stField(histogramSTTag, h.StartTimestamp),
		}
		setCounts(&out, h)
		s.hists = append(s.hists, out)
	}
	return s.hists[start:len(s.hists):len(s.hists)]
}

// setCounts converts the count and zero_count oneofs; an absent one stays
// absent.
func setCounts(out *prompb.Histogram, h *writev2.Histogram) {
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
}

// convertSpans copies bucket spans into the span arena.
func (s *v2State) convertSpans(in []writev2.BucketSpan) []prompb.BucketSpan {
	if len(in) == 0 {
		return nil
	}
	start := len(s.spans)
	for _, sp := range in {
		s.spans = append(s.spans, prompb.BucketSpan{Offset: sp.Offset, Length: sp.Length})
	}
	return s.spans[start:len(s.spans):len(s.spans)]
}
