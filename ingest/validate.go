package ingest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/prompb"
)

// Beyond the wire format and the label rules, a series is refused at the
// door (400, nothing queued) for what a Prometheus receiver refuses, so
// that it never reaches a batch where a backend would refuse it together
// with the valid series of other senders:
//
//   - no __name__ label, or an empty one (Prometheus' receiver answers
//     400 "invalid metric name or labels");
//   - a native histogram that model/histogram's Validate refuses: spans
//     that do not match the buckets, a count below the sum of the
//     buckets, negative bucket counts, a schema out of range, custom
//     bucket bounds that are not increasing or not finite, zero buckets
//     or negative spans with custom buckets.
//
// Label names and values are checked under the UTF-8 scheme of Prometheus
// 3 (model.UTF8Validation): any non-empty valid UTF-8 name, any valid
// UTF-8 value. Remote-write 2.0 requests are held to the spec's MUSTs on
// top (v2validate.go).

// metricNameKey is nameKey of "__name__" (eight bytes, so all of it).
const metricNameKey = uint64('_')<<56 | uint64('_')<<48 | uint64('n')<<40 | uint64('a')<<32 |
	uint64('m')<<24 | uint64('e')<<16 | uint64('_')<<8 | uint64('_')

// errNoMetricName and errEmptyMetricName are the causes of a series
// without a usable metric name.
var (
	errNoMetricName    = badLabels("series has no metric name (no __name__ label)")
	errEmptyMetricName = badLabels("series has an empty metric name (__name__ label)")
)

// isMetricNameErr reports whether err is checkMetricName's.
func isMetricNameErr(err error) bool {
	return err == errNoMetricName || err == errEmptyMetricName
}

// checkMetricName reports a series whose parsed labels (p.refs) have no
// __name__ or an empty one; label is then the name involved.
func (p *seriesParser) checkMetricName(b []byte) (label []byte, err error) {
	for i := range p.refs {
		if string(p.name(b, i)) == "__name__" {
			if r := &p.refs[i]; r.value.start == r.value.end {
				return p.name(b, i), errEmptyMetricName
			}
			return nil, nil
		}
	}
	return nil, errNoMetricName
}

// histScratch is the reusable state of histogram validation, owned by one
// seriesParser: the decoded message and the model/histogram forms
// Validate runs on, whose slices are reused from histogram to histogram
// (the packed bucket fields are still allocated by the decoder).
type histScratch struct {
	pb       prompb.Histogram
	ih       histogram.Histogram
	fh       histogram.FloatHistogram
	pos, neg []histogram.Span
}

// check validates the Histogram message b[start:end], already
// checked at the wire level, with Prometheus' own rules.
func (s *histScratch) check(b []byte, start, end int) error {
	pb := &s.pb
	*pb = prompb.Histogram{
		NegativeSpans: pb.NegativeSpans[:0], PositiveSpans: pb.PositiveSpans[:0],
		XXX_unrecognized: pb.XXX_unrecognized[:0],
	}
	if err := pb.Unmarshal(b[start:end]); err != nil {
		return malformed("Histogram", err)
	}
	s.pos, s.neg = appendSpans(s.pos[:0], pb.PositiveSpans), appendSpans(s.neg[:0], pb.NegativeSpans)
	var err error
	if pb.IsFloatHistogram() {
		s.fh = histogram.FloatHistogram{
			Schema: pb.Schema, ZeroThreshold: pb.ZeroThreshold, ZeroCount: pb.GetZeroCountFloat(),
			Count: pb.GetCountFloat(), Sum: pb.Sum, PositiveSpans: s.pos, PositiveBuckets: pb.PositiveCounts,
			NegativeSpans: s.neg, NegativeBuckets: pb.NegativeCounts, CustomValues: pb.CustomValues,
		}
		err = s.fh.Validate()
	} else {
		s.ih = histogram.Histogram{
			Schema: pb.Schema, ZeroThreshold: pb.ZeroThreshold, ZeroCount: pb.GetZeroCountInt(),
			Count: pb.GetCountInt(), Sum: pb.Sum, PositiveSpans: s.pos, PositiveBuckets: pb.PositiveDeltas,
			NegativeSpans: s.neg, NegativeBuckets: pb.NegativeDeltas, CustomValues: pb.CustomValues,
		}
		err = s.ih.Validate()
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidHistogram, err)
	}
	return nil
}

// appendSpans appends the model/histogram form of spans to dst.
func appendSpans(dst []histogram.Span, spans []prompb.BucketSpan) []histogram.Span {
	for _, sp := range spans {
		dst = append(dst, histogram.Span{Offset: sp.Offset, Length: sp.Length})
	}
	return dst
}

// maxRendered caps the labels an error message quotes, maxQuoted each
// name and value.
const (
	maxRendered = 256
	maxQuoted   = 64
)

// clip returns s, or its first maxQuoted bytes and "...".
func clip(s []byte) string {
	if len(s) > maxQuoted {
		return string(s[:maxQuoted]) + "..."
	}
	return string(s)
}

// render returns the labels parsed so far (p.refs over b) as
// {name="value", ...}, capped at about maxRendered bytes, or "" when none
// were. For error messages only.
func (p *seriesParser) render(b []byte) string {
	if len(p.refs) == 0 {
		return ""
	}
	out := []byte{'{'}
	for i := range p.refs {
		if i > 0 {
			out = append(out, ", "...)
		}
		if len(out) > maxRendered {
			out = append(out, "..."...)
			break
		}
		out = append(out, strings.ToValidUTF8(clip(p.name(b, i)), "\uFFFD")...)
		out = append(out, '=')
		out = strconv.AppendQuote(out, clip(p.value(b, i)))
	}
	return string(append(out, '}'))
}
