package replay

import (
	"fmt"
	"strings"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	"google.golang.org/protobuf/encoding/protowire"
)

// maxKnownFamilies bounds the metadata a converter remembers from batch
// to batch: past it, it forgets all and learns again.
const maxKnownFamilies = 1 << 16

// v2Converter turns a batch body (a remote-write 1.0 WriteRequest) into
// the equivalent remote-write 2.0 Request. It is reused from batch to
// batch by one worker and is not safe for concurrent use.
type v2Converter struct {
	wr  prompb.WriteRequest
	st  writev2.SymbolsTable
	req writev2.Request
	// known is the latest metadata of each metric family seen in this
	// worker's batches, at most maxKnownFamilies.
	known map[string]prompb.MetricMetadata
	out   []byte
}

func newV2Converter() *v2Converter {
	return &v2Converter{st: writev2.NewSymbolTable(), known: make(map[string]prompb.MetricMetadata)}
}

// convert returns the marshalled 2.0 request for body and its number of
// series; the bytes are valid until the next call. Series keep their
// order, labels, samples, histograms and exemplars, and with withST the
// start timestamps of the queue's KindSeriesST records. Each series gets
// the metadata of its metric family: from the batch (a 2.0 sender's
// metadata is in every record of its series), else the latest this
// converter saw (a 1.0 sender's metadata comes in records of its own,
// every so often). 2.0 has no series-less metadata: metadata alone is
// remembered, not sent. The output depends on the batch and on the
// metadata seen before it: retries of a batch are sent its first
// conversion, but after a restart a batch of 1.0 input may be sent
// without metadata it had the first time (samples and all else
// identical).
func (c *v2Converter) convert(body []byte, withST bool) ([]byte, int, error) {
	c.reset()
	if err := c.wr.Unmarshal(body); err != nil {
		return nil, 0, fmt.Errorf("replay: batch is not a remote-write 1.0 request: %w", err)
	}
	for i := range c.wr.Metadata {
		c.learn(&c.wr.Metadata[i])
	}
	for i := range c.wr.Timeseries {
		c.req.Timeseries = append(c.req.Timeseries, c.series(&c.wr.Timeseries[i], withST))
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

// learn remembers md as its family's latest metadata.
func (c *v2Converter) learn(md *prompb.MetricMetadata) {
	name := md.MetricFamilyName
	if _, ok := c.known[name]; !ok && len(c.known) >= maxKnownFamilies {
		clear(c.known)
	}
	c.known[name] = prompb.MetricMetadata{Type: md.Type, MetricFamilyName: name, Help: md.Help, Unit: md.Unit}
}

func (c *v2Converter) reset() {
	c.st.Reset()
	c.wr.Timeseries, c.wr.Metadata = c.wr.Timeseries[:0], c.wr.Metadata[:0]
	c.wr.XXX_unrecognized = nil // unknown fields would pile up across batches
	c.req.Timeseries, c.req.Symbols = c.req.Timeseries[:0], nil
}

// series converts one TimeSeries; withST reads the start timestamps.
func (c *v2Converter) series(ts *prompb.TimeSeries, withST bool) writev2.TimeSeries {
	out := writev2.TimeSeries{LabelsRefs: c.refs(ts.Labels)}
	if len(ts.Samples) > 0 {
		out.Samples = make([]writev2.Sample, len(ts.Samples))
		for i := range ts.Samples {
			s := &ts.Samples[i]
			out.Samples[i] = writev2.Sample{Value: s.Value, Timestamp: s.Timestamp}
			if withST {
				out.Samples[i].StartTimestamp = startTimestamp(s.XXX_unrecognized, sampleSTField)
			}
		}
	}
	if len(ts.Histograms) > 0 {
		out.Histograms = make([]writev2.Histogram, len(ts.Histograms))
		for i := range ts.Histograms {
			h := &ts.Histograms[i]
			out.Histograms[i] = v2Histogram(h)
			if withST {
				out.Histograms[i].StartTimestamp = startTimestamp(h.XXX_unrecognized, histogramSTField)
			}
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

// metadataFor finds the known metadata of the series' family: its
// metric name, or the name without one classic series suffix.
func (c *v2Converter) metadataFor(ls []prompb.Label) *prompb.MetricMetadata {
	if len(c.known) == 0 {
		return nil
	}
	name := ""
	for _, l := range ls {
		if l.Name == "__name__" {
			name = l.Value
			break
		}
	}
	if md, ok := c.known[name]; ok && name != "" {
		return &md
	}
	for _, suf := range familySuffixes {
		if base, ok := strings.CutSuffix(name, suf); ok && base != "" {
			if md, ok := c.known[base]; ok {
				return &md
			}
		}
	}
	return nil
}

// startTimestamp returns the last varint field num of unknown, the
// unknown fields of a Sample or Histogram, as a start timestamp; 0 when
// there is none or the bytes do not parse.
func startTimestamp(unknown []byte, num protowire.Number) int64 {
	var st int64
	for len(unknown) > 0 {
		n, typ, l := protowire.ConsumeField(unknown)
		if l < 0 {
			return 0
		}
		if n == num && typ == protowire.VarintType {
			_, _, tl := protowire.ConsumeTag(unknown)
			v, _ := protowire.ConsumeVarint(unknown[tl:l])
			st = int64(v)
		}
		unknown = unknown[l:]
	}
	return st
}
