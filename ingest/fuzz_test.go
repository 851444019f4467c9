package ingest

import (
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/router"
)

// FuzzDecodeWriteRequest feeds arbitrary decoded bodies to the wire
// decoder. It must never panic; whatever it accepts prompb must accept
// too, with the same number of series and metadata entries, and the series
// it emits must form a valid WriteRequest with sorted labels.
func FuzzDecodeWriteRequest(f *testing.F) {
	for _, wr := range []*prompb.WriteRequest{richRequest(), nodeExporterRequest(3)} {
		raw, _ := wr.Marshal()
		f.Add(raw)
	}
	f.Add([]byte(series(lab("b", "1"), lab("a", "2"), sample())))
	opts := Options{MaxLabelsPerSeries: 64}
	d := &decoder{opts: &opts, routeH: newFakeHasher(router.KeySeries), seriesH: newFakeHasher(router.KeyMetric)}
	slow := Options{ExternalLabels: labels.FromStrings("zone", "z1"), ForceSelfTimestamp: true}
	d2 := &decoder{opts: &slow, ext: externalLabels(slow.ExternalLabels), now: 42,
		routeH: newFakeHasher(router.KeySeries)}
	f.Fuzz(func(t *testing.T, body []byte) {
		if d.decode(body) != nil {
			return
		}
		if err := d2.decode(body); err != nil {
			t.Fatalf("slow path rejected what the fast path accepted: %v", err)
		}
		checkEmitted(t, d2, body)
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(body); err != nil {
			t.Fatalf("decoder accepted what prompb rejects: %v", err)
		}
		if len(wr.Timeseries) != len(d.entries) || len(wr.Metadata) != len(d.meta) {
			t.Fatalf("decoder found %d series %d metadata, prompb %d %d",
				len(d.entries), len(d.meta), len(wr.Timeseries), len(wr.Metadata))
		}
		checkEmitted(t, d, body)
	})
}

// checkEmitted decodes the entries the decoder would queue.
func checkEmitted(t *testing.T, d *decoder, body []byte) {
	var out []byte
	for _, e := range d.entries {
		src := body
		if e.rewritten {
			src = d.rewrite
		}
		out = append(out, src[e.start:e.end]...)
	}
	var wr prompb.WriteRequest
	if err := wr.Unmarshal(out); err != nil {
		t.Fatalf("emitted series do not decode: %v", err)
	}
	for i, ts := range wr.Timeseries {
		for j := 1; j < len(ts.Labels); j++ {
			if ts.Labels[j-1].Name >= ts.Labels[j].Name {
				t.Fatalf("emitted series %d not sorted: %v", i, ts.Labels)
			}
		}
		if n := len(ts.Samples) + len(ts.Histograms); n != d.entries[i].samples {
			t.Fatalf("series %d: %d samples counted, %d decoded", i, d.entries[i].samples, n)
		}
	}
}
