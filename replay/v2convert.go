package replay

import (
	"fmt"
	"strings"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// v2Converter turns a batch body (a remote-write 1.0 WriteRequest) into
// the equivalent remote-write 2.0 Request. It is reused from batch to
// batch by one worker and is not safe for concurrent use.
type v2Converter struct {
	wr   prompb.WriteRequest
	st   writev2.SymbolsTable
	req  writev2.Request
	meta map[string]*prompb.MetricMetadata // by metric family name
	out  []byte
}

func newV2Converter() *v2Converter {
	return &v2Converter{st: writev2.NewSymbolTable(), meta: make(map[string]*prompb.MetricMetadata)}
}

// convert returns the marshalled 2.0 request for body and its number of
// series; the bytes are valid until the next call. Series keep their
// order, labels, samples, histograms and exemplars; the batch's metadata
// is attached to the series of its metric family in the same batch, and
// metadata whose family has no series in the batch is not sent (2.0 has
// no series-less metadata).
func (c *v2Converter) convert(body []byte) ([]byte, int, error) {
	c.reset()
	if err := c.wr.Unmarshal(body); err != nil {
		return nil, 0, fmt.Errorf("replay: batch is not a remote-write 1.0 request: %w", err)
	}
	for i := range c.wr.Metadata {
		c.meta[c.wr.Metadata[i].MetricFamilyName] = &c.wr.Metadata[i]
	}
	for i := range c.wr.Timeseries {
		c.req.Timeseries = append(c.req.Timeseries, c.series(&c.wr.Timeseries[i]))
	}
	c.req.Symbols = c.st.Symbols()
	size := c.req.Size()
	if cap(c.out) < size {
		c.out = make([]byte, size)
	}
	n, err := c.req.MarshalToSizedBuffer(c.out[:size])
	if err != nil {
		return nil, 0, fmt.Errorf("replay: marshal remote-write 2.0 request: %w", err)
	}
	return c.out[size-n : size], len(c.req.Timeseries), nil
}

func (c *v2Converter) reset() {
	c.st.Reset()
	clear(c.meta)
	c.wr.Timeseries, c.wr.Metadata = c.wr.Timeseries[:0], c.wr.Metadata[:0]
	c.wr.XXX_unrecognized = nil // unknown fields would pile up across batches
	c.req.Timeseries, c.req.Symbols = c.req.Timeseries[:0], nil
}

// series converts one TimeSeries.
func (c *v2Converter) series(ts *prompb.TimeSeries) writev2.TimeSeries {
	out := writev2.TimeSeries{LabelsRefs: c.refs(ts.Labels)}
	if len(ts.Samples) > 0 {
		out.Samples = make([]writev2.Sample, len(ts.Samples))
		for i, s := range ts.Samples {
			out.Samples[i] = writev2.Sample{Value: s.Value, Timestamp: s.Timestamp}
		}
	}
	if len(ts.Histograms) > 0 {
		out.Histograms = make([]writev2.Histogram, len(ts.Histograms))
		for i := range ts.Histograms {
			out.Histograms[i] = v2Histogram(&ts.Histograms[i])
		}
	}
	if len(ts.Exemplars) > 0 {
		out.Exemplars = make([]writev2.Exemplar, len(ts.Exemplars))
		for i, e := range ts.Exemplars {
			out.Exemplars[i] = writev2.Exemplar{LabelsRefs: c.refs(e.Labels), Value: e.Value, Timestamp: e.Timestamp}
		}
	}
	if md := c.metadataFor(ts.Labels); md != nil {
		out.Metadata = writev2.Metadata{Type: writev2.Metadata_MetricType(md.Type),
			HelpRef: c.st.Symbolize(md.Help), UnitRef: c.st.Symbolize(md.Unit)}
	}
	return out
}

// refs symbolizes labels (already sorted by ingest).
func (c *v2Converter) refs(ls []prompb.Label) []uint32 {
	if len(ls) == 0 {
		return nil
	}
	out := make([]uint32, 0, 2*len(ls))
	for _, l := range ls {
		out = append(out, c.st.Symbolize(l.Name), c.st.Symbolize(l.Value))
	}
	return out
}

// familySuffixes are the series suffixes a metric family name may lack.
var familySuffixes = [...]string{"_bucket", "_count", "_sum", "_total", "_gcount", "_gsum", "_created", "_info"}

// metadataFor finds the batch's metadata of the series' family: its
// metric name, or the name without one classic series suffix.
func (c *v2Converter) metadataFor(ls []prompb.Label) *prompb.MetricMetadata {
	if len(c.meta) == 0 {
		return nil
	}
	name := ""
	for _, l := range ls {
		if l.Name == "__name__" {
			name = l.Value
			break
		}
	}
	if md, ok := c.meta[name]; ok && name != "" {
		return md
	}
	for _, suf := range familySuffixes {
		if base, ok := strings.CutSuffix(name, suf); ok && base != "" {
			if md, ok := c.meta[base]; ok {
				return md
			}
		}
	}
	return nil
}
