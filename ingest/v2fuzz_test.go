package ingest

import (
	"testing"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/router"
)

// FuzzDecodeV2 feeds arbitrary decoded bodies to the remote-write 2.0
// decoder and converter. It must never panic; whatever it accepts must
// convert to a remote-write 1.0 request that gogo decodes with the same
// number of series, sorted labels, and that the 1.0 wire decoder accepts
// as it stands.
func FuzzDecodeV2(f *testing.F) {
	f.Add(marshal(f, richV2()))
	f.Add(marshal(f, v2NodeExporter(3)))
	f.Add([]byte{0x22, 0x00, 0x2a, 0x04, 0x0a, 0x02, 0x00, 0x00})
	opts := Options{MaxLabelsPerSeries: 64}
	v1 := &decoder{opts: &opts, routeH: newFakeHasher(router.KeySeries)}
	s := &v2State{families: map[string]int32{}}
	f.Fuzz(func(t *testing.T, body []byte) {
		defer s.clear()
		if est, err := estimateV2(body); err != nil || est > 64<<20 {
			return
		}
		if s.req.Unmarshal(body) != nil || s.convert(&opts) != nil {
			return
		}
		out, err := s.wr.Marshal()
		if err != nil {
			t.Fatalf("converted request does not marshal: %v", err)
		}
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(out); err != nil {
			t.Fatalf("converted request does not decode: %v", err)
		}
		if len(wr.Timeseries) != len(s.req.Timeseries) || len(s.counts) != len(wr.Timeseries) {
			t.Fatalf("%d series in, %d out, %d counted", len(s.req.Timeseries), len(wr.Timeseries), len(s.counts))
		}
		if err := v1.decode(out); err != nil {
			t.Fatalf("1.0 decoder refuses the converted request: %v", err)
		}
		checkEmitted(t, v1, out)
	})
}
