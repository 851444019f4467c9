package ingest

import (
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"

	"github.com/prws/prws/internal/rw2"
)

// convertHistograms copies native histograms into the arenas
// (rw2.HistogramToV1): bucket slices are shared with the decoded request,
// spans copied, and 2.0's start_timestamp kept as an unknown field of
// the 1.0 message (stField).
func (s *v2State) convertHistograms(in []writev2.Histogram) []prompb.Histogram {
	if len(in) == 0 {
		return nil
	}
	start := len(s.hists)
	for i := range in {
		h := &in[i]
		s.hists = append(s.hists, rw2.HistogramToV1(h, s.convertSpans(h.NegativeSpans), s.convertSpans(h.PositiveSpans),
			s.stField(rw2.HistogramSTField, h.StartTimestamp)))
	}
	return s.hists[start:len(s.hists):len(s.hists)]
}

// convertSpans copies bucket spans into the span arena.
func (s *v2State) convertSpans(in []writev2.BucketSpan) []prompb.BucketSpan {
	if len(in) == 0 {
		return nil
	}
	start := len(s.spans)
	s.spans = rw2.AppendV1Spans(s.spans, in)
	return s.spans[start:len(s.spans):len(s.spans)]
}
