package ingest

import (
	"strconv"
	"testing"

	"github.com/prometheus/prometheus/prompb"
)

// histogramRequest returns n series of one native histogram each (an
// exponential one with 12 buckets on each side), labelled like a
// classic-to-native histogram of a service.
func histogramRequest(n int) *prompb.WriteRequest {
	req := &prompb.WriteRequest{}
	deltas := []int64{1, 2, 3, 2, 1, 0, -1, -2, -1, 1, 2, -3}
	var count, bucket int64
	for _, d := range deltas {
		bucket += d
		count += 2 * bucket // both sides
	}
	for i := range n {
		h := prompb.Histogram{
			Count: &prompb.Histogram_CountInt{CountInt: uint64(count)}, Sum: 123.5, Schema: 3, ZeroThreshold: 1e-128,
			ZeroCount:     &prompb.Histogram_ZeroCountInt{ZeroCountInt: 0},
			PositiveSpans: []prompb.BucketSpan{{Offset: -4, Length: 12}}, PositiveDeltas: deltas,
			NegativeSpans: []prompb.BucketSpan{{Offset: -4, Length: 12}}, NegativeDeltas: deltas,
			Timestamp: 1700000000000,
		}
		req.Timeseries = append(req.Timeseries, prompb.TimeSeries{
			Labels: lbls("__name__", "http_request_duration_seconds", "instance", "10.0.0."+strconv.Itoa(i%250)+":9100",
				"job", "api", "path", "/v1/items/"+strconv.Itoa(i)),
			Histograms: []prompb.Histogram{h},
		})
	}
	return req
}

// BenchmarkDecodeHistograms: decode, validate and route a request of
// native histograms, each one checked with model/histogram's Validate.
//
//	go test -run '^$' -bench DecodeHistograms -benchmem ./ingest
func BenchmarkDecodeHistograms(b *testing.B) {
	body, _ := histogramRequest(benchSeries).Marshal()
	benchPath(b, benchRouting(b), body, Options{})
}
