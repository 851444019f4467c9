package watchdog

import "testing"

// BenchmarkUp measures the hot-path membership read.
func BenchmarkUp(b *testing.B) {
	w := New(make([]Target, 8), Options{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if !w.Up(i & 7) {
				b.Fatal("down")
			}
			i++
		}
	})
}
