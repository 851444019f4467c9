package cli

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/dataops"
)

// A dead letter holding ±Inf, NaN, a stale marker and histograms shows in
// text and in JSON, and the JSON reads back.
func TestShowNonFiniteValuesAndHistograms(t *testing.T) {
	stale := math.Float64frombits(0x7ff0000000000002)
	var req prompb.WriteRequest
	for i, v := range []float64{math.Inf(1), math.Inf(-1), math.NaN(), stale, 1.5} {
		req.Timeseries = append(req.Timeseries, prompb.TimeSeries{
			Labels:  []prompb.Label{{Name: "__name__", Value: "m"}, {Name: "i", Value: string(rune('a' + i))}},
			Samples: []prompb.Sample{{Value: v, Timestamp: int64(1000 + i)}},
		})
	}
	req.Timeseries = append(req.Timeseries, prompb.TimeSeries{
		Labels: []prompb.Label{{Name: "__name__", Value: "h"}},
		Histograms: []prompb.Histogram{{Count: &prompb.Histogram_CountFloat{CountFloat: math.Inf(1)},
			Sum: math.NaN(), Timestamp: 9}},
	})
	body, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	views, total, _, err := dataops.DecodeSeries(body, 0)
	if err != nil || total != 6 {
		t.Fatalf("DecodeSeries: %d series, %v", total, err)
	}
	d := adminapi.DeadLetterDetail{SeriesTotal: total, Series: views}
	var text, js bytes.Buffer
	if err := WriteDeadLetterDetail(&text, d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"+Inf", "-Inf", "NaN", "1.5", "h"} {
		if !strings.Contains(text.String(), want) {
			t.Fatalf("text lacks %q:\n%s", want, text.String())
		}
	}
	if err := adminapi.WriteJSON(&js, d); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	var back adminapi.DeadLetterDetail
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf("JSON does not read back: %v\n%s", err, js.String())
	}
	got := back.Series
	if !math.IsInf(float64(got[0].LastValue), 1) || !math.IsInf(float64(got[1].LastValue), -1) ||
		!math.IsNaN(float64(got[2].LastValue)) || !math.IsNaN(float64(got[3].LastValue)) ||
		got[4].LastValue != 1.5 || got[5].Histograms != 1 {
		t.Fatalf("read back %+v", got)
	}
}
