package readback

import (
	"fmt"
	"math"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// meta is the metadata of a metric family.
type meta struct {
	typ        writev2.Metadata_MetricType
	help, unit string
}

// point is one sample or histogram with its start timestamp (0: none).
type point struct {
	t, st int64
	v     float64
	h     *histogram.Histogram      // integer histogram, or
	fh    *histogram.FloatHistogram // float histogram
}

// exemplar is one exemplar of a series.
type exemplar struct {
	ls labels.Labels
	v  float64
	t  int64
}

// series is one series of the data set, as its sender knows it.
type series struct {
	ls        labels.Labels
	md        *meta // nil: sent without metadata
	points    []point
	exemplars []exemplar
}

// families is the metadata of the data set: six families, each with
// series on several shards.
var families = map[string]meta{
	"http_requests_total":  {writev2.Metadata_METRIC_TYPE_COUNTER, "Requests served.", ""},
	"temperature_celsius":  {writev2.Metadata_METRIC_TYPE_GAUGE, "Temperature now.", "celsius"},
	"rpc_duration_seconds": {writev2.Metadata_METRIC_TYPE_HISTOGRAM, "RPC latency.", "seconds"},
	"rpc_size_bytes":       {writev2.Metadata_METRIC_TYPE_GAUGEHISTOGRAM, "RPC sizes in flight.", "bytes"},
	"nhcb_latency_seconds": {writev2.Metadata_METRIC_TYPE_HISTOGRAM, "Latency, custom buckets.", "seconds"},
	"温度.当前":                {writev2.Metadata_METRIC_TYPE_GAUGE, "UTF-8 gauge.", ""},
}

// dataSet returns the series every test sends, labelled input=input,
// with timestamps from base (ms): floats with NaN, ±Inf and stale
// markers, UTF-8 names and labels, integer, float and custom-bucket
// native histograms with reset hints, exemplars on samples and
// histograms, metadata, start timestamps.
func dataSet(input string, base int64) []series {
	st := base - time.Minute.Milliseconds()
	at := func(i int) int64 { return base + int64(i)*15000 }
	var out []series
	add := func(s series) {
		b := labels.NewBuilder(s.ls)
		b.Set("input", input)
		s.ls = b.Labels()
		out = append(out, s)
	}
	for i := range 8 {
		add(series{ls: labels.FromStrings("__name__", "http_requests_total", "instance", fmt.Sprint(i)), md: pointerTo(families["http_requests_total"]),
			points:    []point{{t: at(0), st: st, v: float64(10 * i)}, {t: at(1), st: st, v: float64(10*i + 3)}},
			exemplars: []exemplar{{labels.FromStrings("trace_id", fmt.Sprintf("t%d", i)), 1, at(1)}}})
		vs := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Float64frombits(value.StaleNaN)}
		add(series{ls: labels.FromStrings("__name__", "temperature_celsius", "room", fmt.Sprint(i)), md: pointerTo(families["temperature_celsius"]),
			points: []point{{t: at(0), v: 21.5 + float64(i)}, {t: at(1), v: vs[i%4]}}})
	}
	for i := range 4 {
		add(series{ls: labels.FromStrings("__name__", "rpc_duration_seconds", "method", fmt.Sprint("m", i)), md: pointerTo(families["rpc_duration_seconds"]),
			points: []point{{t: at(0), st: st, h: intHistogram(i, histogram.CounterReset)},
				{t: at(1), st: st, h: intHistogram(i+1, histogram.NotCounterReset)}},
			exemplars: []exemplar{{labels.FromStrings("trace_id", fmt.Sprintf("h%d", i)), 0.25, at(1)}}})
		add(series{ls: labels.FromStrings("__name__", "nhcb_latency_seconds", "path", fmt.Sprint("/p", i)), md: pointerTo(families["nhcb_latency_seconds"]),
			points: []point{{t: at(0), st: st, h: customHistogram(i)}, {t: at(1), st: st, h: customHistogram(i + 2)}}})
		add(series{ls: labels.FromStrings("__name__", "温度.当前", "ключ", fmt.Sprint("значение-", i)), md: pointerTo(families["温度.当前"]),
			points: []point{{t: at(0), v: -1.5 * float64(i)}}})
		add(series{ls: labels.FromStrings("__name__", "no_metadata_total", "i", fmt.Sprint(i)),
			points: []point{{t: at(0), st: st, v: 1}, {t: at(1), st: st, v: 2}}})
	}
	for i := range 2 {
		add(series{ls: labels.FromStrings("__name__", "rpc_size_bytes", "pool", fmt.Sprint(i)), md: pointerTo(families["rpc_size_bytes"]),
			points: []point{{t: at(0), fh: floatHistogram(i)}, {t: at(1), fh: floatHistogram(i + 1)}}})
	}
	return out
}

func pointerTo[T any](v T) *T { return &v }

// intHistogram is an exponential integer histogram with positive and
// negative buckets.
func intHistogram(i int, hint histogram.CounterResetHint) *histogram.Histogram {
	n := uint64(i)
	return &histogram.Histogram{CounterResetHint: hint, Schema: 3, ZeroThreshold: 1e-128, ZeroCount: 2 + n,
		Count: 9 + 2*n, Sum: 42.5 + float64(i),
		PositiveSpans: []histogram.Span{{Offset: 0, Length: 3}}, PositiveBuckets: []int64{2, 1, int64(-2 + i)},
		NegativeSpans: []histogram.Span{{Offset: -2, Length: 2}}, NegativeBuckets: []int64{1, -1}}
}

// customHistogram is a custom-bucket (schema -53) integer histogram.
func customHistogram(i int) *histogram.Histogram {
	n := uint64(i)
	return &histogram.Histogram{Schema: histogram.CustomBucketsSchema, Count: 3 + n, Sum: 1.25 * float64(i+1),
		PositiveSpans: []histogram.Span{{Offset: 0, Length: 3}}, PositiveBuckets: []int64{1, int64(i), -int64(i)},
		CustomValues: []float64{0.1, 0.5, 2.5}}
}

// floatHistogram is a gauge float histogram.
func floatHistogram(i int) *histogram.FloatHistogram {
	return &histogram.FloatHistogram{CounterResetHint: histogram.GaugeType, Schema: 1, ZeroThreshold: 0.001,
		ZeroCount: 0.5, Count: 3.5 + float64(i), Sum: 1024.25,
		PositiveSpans: []histogram.Span{{Offset: 1, Length: 2}}, PositiveBuckets: []float64{1.5, 1.5 + float64(i)}}
}

// v2Request encodes ss as remote-write 2.0, each series with its
// metadata and start timestamps. withMeta attaches to series without
// metadata that of their family, as a sender that learnt it apart would
// (the reference for 1.0 input sent on to a 2.0 backend).
func v2Request(ss []series, withMeta bool) *writev2.Request {
	syms := writev2.NewSymbolTable()
	req := &writev2.Request{}
	for _, s := range ss {
		ts := writev2.TimeSeries{LabelsRefs: syms.SymbolizeLabels(s.ls, nil)}
		md := s.md
		if md == nil && withMeta {
			if m, ok := families[s.ls.Get("__name__")]; ok {
				md = &m
			}
		}
		if md != nil {
			ts.Metadata = writev2.Metadata{Type: md.typ, HelpRef: syms.Symbolize(md.help), UnitRef: syms.Symbolize(md.unit)}
		}
		for _, p := range s.points {
			switch {
			case p.h != nil:
				ts.Histograms = append(ts.Histograms, writev2.FromIntHistogram(p.st, p.t, p.h))
			case p.fh != nil:
				ts.Histograms = append(ts.Histograms, writev2.FromFloatHistogram(p.st, p.t, p.fh))
			default:
				ts.Samples = append(ts.Samples, writev2.Sample{Value: p.v, Timestamp: p.t, StartTimestamp: p.st})
			}
		}
		for _, e := range s.exemplars {
			ts.Exemplars = append(ts.Exemplars, writev2.Exemplar{LabelsRefs: syms.SymbolizeLabels(e.ls, nil), Value: e.v, Timestamp: e.t})
		}
		req.Timeseries = append(req.Timeseries, ts)
	}
	req.Symbols = syms.Symbols()
	return req
}

// v1Request encodes ss as remote-write 1.0: no start timestamps, and,
// when withMeta, one MetricMetadata per family of the data set.
func v1Request(ss []series, withMeta bool) *prompb.WriteRequest {
	wr := &prompb.WriteRequest{}
	for _, s := range ss {
		ts := prompb.TimeSeries{Labels: prompb.FromLabels(s.ls, nil)}
		for _, p := range s.points {
			switch {
			case p.h != nil:
				ts.Histograms = append(ts.Histograms, prompb.FromIntHistogram(p.t, p.h))
			case p.fh != nil:
				ts.Histograms = append(ts.Histograms, prompb.FromFloatHistogram(p.t, p.fh))
			default:
				ts.Samples = append(ts.Samples, prompb.Sample{Value: p.v, Timestamp: p.t})
			}
		}
		for _, e := range s.exemplars {
			ts.Exemplars = append(ts.Exemplars, prompb.Exemplar{Labels: prompb.FromLabels(e.ls, nil), Value: e.v, Timestamp: e.t})
		}
		wr.Timeseries = append(wr.Timeseries, ts)
	}
	if withMeta {
		wr.Metadata = v1Metadata()
	}
	return wr
}

// v1Metadata is the data set's metadata as a 1.0 sender sends it.
func v1Metadata() []prompb.MetricMetadata {
	var out []prompb.MetricMetadata
	for name, m := range families {
		out = append(out, prompb.MetricMetadata{Type: prompb.MetricMetadata_MetricType(m.typ),
			MetricFamilyName: name, Help: m.help, Unit: m.unit})
	}
	return out
}
