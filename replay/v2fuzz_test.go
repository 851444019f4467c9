package replay

import (
	"testing"

	"github.com/prws/prws/internal/rw2"
)

// BenchmarkV2Convert: convert a 2000-series batch to remote-write 2.0.
//
//	go test -run '^$' -bench V2Convert -benchmem ./replay
func BenchmarkV2Convert(b *testing.B) {
	var body []byte
	for i := range 1000 {
		body = append(body, rawBody(b, makeBatch(b, i, ""))...) // 2 series each
	}
	c := rw2.NewEncoder()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.Encode(body, true); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2000), "ns/series")
}
