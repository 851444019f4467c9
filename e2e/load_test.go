package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/internal/testenv"
)

// makeSeries returns n node_exporter-shaped series, each with one sample
// at timestamp ts, starting at series number from.
func makeSeries(from, n int, ts int64) []prompb.TimeSeries {
	out := make([]prompb.TimeSeries, n)
	for i := range out {
		id := from + i
		out[i] = prompb.TimeSeries{
			Labels: []prompb.Label{
				{Name: "__name__", Value: fmt.Sprintf("node_metric_%d", id%97)},
				{Name: "cpu", Value: fmt.Sprint(id % 8)},
				{Name: "instance", Value: fmt.Sprintf("host-%d:9100", id/97)},
				{Name: "job", Value: "node"},
				{Name: "mode", Value: fmt.Sprintf("m%d", id%5)},
				{Name: "series", Value: fmt.Sprint(id)},
			},
			Samples: []prompb.Sample{{Value: float64(id), Timestamp: ts}},
		}
	}
	return out
}

// encode builds a snappy-compressed remote-write 1.0 body.
func encode(t testing.TB, ts []prompb.TimeSeries) []byte {
	t.Helper()
	wr := prompb.WriteRequest{Timeseries: ts}
	raw, err := wr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, raw)
}

// post sends one remote-write request and returns the status and body.
func post(t testing.TB, url string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	return testenv.PostWrite(http.DefaultClient, url, body, hdr)
}

// seriesName is the key union uses for series number i.
func seriesName(i int) string { return fmt.Sprint(i) }

// seriesNumber extracts the "series" label of a recorded series key.
func seriesNumber(key string) int {
	i := strings.Index(key, `series="`)
	if i < 0 {
		return -1
	}
	rest := key[i+len(`series="`):]
	n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, '"')])
	return n
}
