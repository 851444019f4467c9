package ingest

import (
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
)

// extLabel is one external label, kept as strings for cheap comparison.
type extLabel struct{ name, value string }

// externalLabels converts ls (sorted by construction) for the decoder.
func externalLabels(ls labels.Labels) []extLabel {
	out := make([]extLabel, 0, ls.Len())
	ls.Range(func(l labels.Label) { out = append(out, extLabel{l.Name, l.Value}) })
	return out
}

// slowPath rewrites one series through a full gogo decode and re-encode.
// Its TimeSeries is reused from series to series; only the strings the
// decode creates are allocated.
type slowPath struct {
	ts prompb.TimeSeries
}

// needsSlowPath reports whether the parsed series (d.p, sorted) must be
// rewritten: samples to restamp, or an external label it lacks.
func (d *decoder) needsSlowPath(b []byte, samples int) bool {
	if d.opts.ForceSelfTimestamp && samples > 0 {
		return true
	}
	j := 0
	for _, e := range d.ext {
		for j < len(d.p.refs) && string(d.p.name(b, j)) < e.name {
			j++
		}
		if j == len(d.p.refs) || string(d.p.name(b, j)) != e.name {
			return true
		}
	}
	return false
}

// slowSeries rewrites the series f into d.rewrite, then parses the result
// again to validate and hash the series as it will be stored.
func (d *decoder) slowSeries(b []byte, f *field, e *entry) ([]byte, error) {
	d.slowN++
	if err := d.slow.decode(b[f.start:f.end]); err != nil {
		return nil, malformed("TimeSeries", err)
	}
	d.slow.mergeExternal(d.ext)
	if d.opts.ForceSelfTimestamp {
		d.slow.stamp(d.now)
	}
	start := len(d.rewrite)
	var bodyStart int
	var err error
	if d.rewrite, bodyStart, err = d.slow.appendEntry(d.rewrite); err != nil {
		return nil, malformed("TimeSeries", err)
	}
	n, err := d.p.parse(d.rewrite, bodyStart, len(d.rewrite))
	if err != nil {
		return nil, err
	}
	if label, err := d.p.checkLabels(d.rewrite, d.opts); err != nil {
		return label, err
	}
	e.rewritten, e.start, e.end, e.samples = true, start, len(d.rewrite), n
	d.add(e, d.rewrite)
	return nil, nil
}

// decode unmarshals one TimeSeries body into s.ts, reusing its slices.
func (s *slowPath) decode(body []byte) error {
	ts := &s.ts
	ts.Labels, ts.Samples = ts.Labels[:0], ts.Samples[:0]
	ts.Exemplars, ts.Histograms = ts.Exemplars[:0], ts.Histograms[:0]
	ts.XXX_unrecognized = nil
	return ts.Unmarshal(body)
}

func compareLabels(a, b prompb.Label) int { return strings.Compare(a.Name, b.Name) }

// mergeExternal adds the external labels the series lacks and sorts the
// result; a label the series has keeps its value (Prometheus semantics).
func (s *slowPath) mergeExternal(ext []extLabel) {
	slices.SortFunc(s.ts.Labels, compareLabels)
	own := len(s.ts.Labels)
	for _, e := range ext {
		_, found := slices.BinarySearchFunc(s.ts.Labels[:own], e.name,
			func(l prompb.Label, name string) int { return strings.Compare(l.Name, name) })
		if !found {
			s.ts.Labels = append(s.ts.Labels, prompb.Label{Name: e.name, Value: e.value})
		}
	}
	if len(s.ts.Labels) > own {
		slices.SortFunc(s.ts.Labels, compareLabels)
	}
}

// stamp sets every sample and histogram timestamp to ms.
func (s *slowPath) stamp(ms int64) {
	for i := range s.ts.Samples {
		s.ts.Samples[i].Timestamp = ms
	}
	for i := range s.ts.Histograms {
		s.ts.Histograms[i].Timestamp = ms
	}
}

// appendEntry appends s.ts as a WriteRequest field-1 entry and returns the
// buffer and the offset where the TimeSeries body starts.
func (s *slowPath) appendEntry(dst []byte) ([]byte, int, error) {
	size := s.ts.Size()
	dst = append(dst, 1<<3|wtBytes)
	dst = appendVarint(dst, uint64(size))
	bodyStart := len(dst)
	dst = slices.Grow(dst, size)[:bodyStart+size]
	_, err := s.ts.MarshalToSizedBuffer(dst[bodyStart:])
	return dst, bodyStart, err
}
