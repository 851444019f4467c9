package ingest

import "testing"

// BenchmarkDecodeV2: decode a 2000-series node_exporter-shaped
// remote-write 2.0 request, convert it to 1.0 and marshal it (convert),
// then also run the 1.0 placement on the result (convert+route).
//
//	go test -run '^$' -bench DecodeV2 -benchmem ./ingest
func BenchmarkDecodeV2(b *testing.B) {
	body := marshal(b, v2NodeExporter(benchSeries))
	h := NewHandler(Options{}, nil)
	rt := benchRouting(b)
	b.Run("convert", func(b *testing.B) {
		benchV2(b, h, body, func([]byte) {})
	})
	b.Run("convert+route", func(b *testing.B) {
		st := &reqState{}
		benchV2(b, h, body, func(v1 []byte) { decodePlace(b, st, rt, &h.opts, h.ext, v1) })
	})
}

func benchV2(b *testing.B, h *Handler, body []byte, then func(v1 []byte)) {
	s := &v2State{families: map[string]int32{}}
	run := func() {
		defer s.clear()
		bud := budget{h: h}
		defer bud.release()
		v1, code, msg := h.convertV2(s, &bud, body)
		if code != 0 {
			b.Fatal(code, msg)
		}
		then(v1)
	}
	run()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		run()
	}
	reportPerSeries(b)
}

// BenchmarkHandlerV2 is BenchmarkHandler for the same series sent as
// remote-write 2.0.
//
//	go test -run '^$' -bench HandlerV2 -benchmem ./ingest
func BenchmarkHandlerV2(b *testing.B) {
	benchHandler(b, compress(marshal(b, v2NodeExporter(benchSeries))), ctV2)
}
