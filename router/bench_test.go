package router

import (
	"fmt"
	"testing"
)

func BenchmarkHasher10Labels(b *testing.B) {
	names, values := tenLabels()
	for _, k := range []Key{KeySeries, KeyMetric} {
		b.Run(k.String(), func(b *testing.B) {
			h := NewHasher(k)
			b.ReportAllocs()
			var sink uint64
			for b.Loop() {
				h.Reset()
				for i := range names {
					h.Add(names[i], values[i])
				}
				sink ^= h.Sum64()
			}
			_ = sink
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	for _, tc := range []struct{ n, replicas int }{{3, 1}, {3, 2}, {10, 2}} {
		b.Run(fmt.Sprintf("N=%d/R=%d", tc.n, tc.replicas), func(b *testing.B) {
			r := mustRing(b, testIDs(b, tc.n), tc.replicas, 16)
			dst := make([]int, 0, tc.replicas)
			h := uint64(0x9e3779b97f4a7c15)
			b.ReportAllocs()
			for b.Loop() {
				h = h*6364136223846793005 + 1442695040888963407
				dst = r.Lookup(h, nil, dst[:0])
			}
		})
	}
}

func BenchmarkLookupOneDown(b *testing.B) {
	r := mustRing(b, testIDs(b, 3), 2, 16)
	var health Health = downSet{1: true}
	dst := make([]int, 0, 2)
	h := uint64(1)
	b.ReportAllocs()
	for b.Loop() {
		h = h*6364136223846793005 + 1442695040888963407
		dst = r.Lookup(h, health, dst[:0])
	}
}
