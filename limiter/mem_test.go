package limiter

import (
	"runtime"
	"testing"
)

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestMemoryPerSeries inserts 1 M hashes into one window, flushes (which
// empties the pending buffers) and reports the heap growth per series.
// The structural bound is 24 bytes (8-byte slots at load >= 0.375 is at
// most 21.3); timing is not asserted.
func TestMemoryPerSeries(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocates ~20 MB; slow under -race")
	}
	const n = 1_000_000
	p, _ := tempBolt(t)
	before := heapInUse()
	l := mustNew(t, Options{MaxDailySeries: n}, p)
	for h := uint64(1); h <= n; h++ {
		l.Admit(h*0x9e3779b97f4a7c15, 1)
	}
	l.Flush() // writes 1 M keys; releases the pending buffers
	after := heapInUse()
	perSeries := float64(after-before) / n
	t.Logf("1M series in one window: %.1f bytes/series (heap %d -> %d)", perSeries, before, after)
	if got := l.Status().Day.Series; got != n {
		t.Fatalf("tracked %d, want %d", got, n)
	}
	if perSeries > 24 {
		t.Fatalf("%.1f bytes per series, bound 24", perSeries)
	}
	runtime.KeepAlive(l)
}

// BenchmarkAdmitKnown measures the hot path for already admitted series
// with both windows limited.
func BenchmarkAdmitKnown(b *testing.B) {
	p := &nopPersister{}
	l, err := New(Options{MaxHourlySeries: 1 << 20, MaxDailySeries: 1 << 20}, p)
	if err != nil {
		b.Fatal(err)
	}
	for h := uint64(1); h <= 100000; h++ {
		l.Admit(h, 1)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		h := uint64(1)
		for pb.Next() {
			l.Admit(h, 1)
			h = h%100000 + 1
		}
	})
}

// BenchmarkAdmitNew measures admitting distinct new series.
func BenchmarkAdmitNew(b *testing.B) {
	l, err := New(Options{MaxHourlySeries: 1 << 40, MaxDailySeries: 1 << 40}, &nopPersister{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		l.Admit(uint64(i)+1, 1)
	}
}
