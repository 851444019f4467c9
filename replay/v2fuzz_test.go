package replay

import (
	"testing"

	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// FuzzV2Convert feeds arbitrary batch bodies to the 1.0 → 2.0 converter.
// It must never panic; what it converts must decode as a 2.0 request
// with a symbols table starting with "" and every reference inside it.
func FuzzV2Convert(f *testing.F) {
	f.Add(rawBody(f, makeBatch(f, 0, "")))
	f.Add([]byte{0x1a, 0x04, 0x12, 0x02, 0x75, 0x70})
	c := newV2Converter()
	f.Fuzz(func(t *testing.T, body []byte) {
		out, n, err := c.convert(body, true)
		if err != nil {
			return
		}
		var req writev2.Request
		if err := req.Unmarshal(out); err != nil {
			t.Fatalf("converted batch does not decode: %v", err)
		}
		if len(req.Timeseries) != n || len(req.Symbols) == 0 || req.Symbols[0] != "" {
			t.Fatalf("%d series (said %d), symbols %q", len(req.Timeseries), n, req.Symbols)
		}
		for _, ts := range req.Timeseries {
			for _, r := range append(ts.LabelsRefs, ts.Metadata.HelpRef, ts.Metadata.UnitRef) {
				if int(r) >= len(req.Symbols) {
					t.Fatalf("reference %d outside %d symbols", r, len(req.Symbols))
				}
			}
		}
	})
}

// BenchmarkV2Convert: convert a 2000-series batch to remote-write 2.0.
//
//	go test -run '^$' -bench V2Convert -benchmem ./replay
func BenchmarkV2Convert(b *testing.B) {
	var body []byte
	for i := range 1000 {
		body = append(body, rawBody(b, makeBatch(b, i, ""))...) // 2 series each
	}
	c := newV2Converter()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.convert(body, true); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2000), "ns/series")
}
