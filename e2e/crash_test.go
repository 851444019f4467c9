package e2e

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prws/prws/internal/testenv"
)

// TestKillWithBacklog: data acknowledged while one backend is down is on
// disk; kill -9, restart with the backend up, and all of it arrives.
func TestKillWithBacklog(t *testing.T) {
	a, b := newRecorder(t), newRecorder(t)
	b.Fail(http.StatusInternalServerError)
	dir, listen := t.TempDir(), testenv.FreeAddr(t)
	args := []string{"--data-dir", dir, "--promes", a.URL() + "," + b.URL(), "--remote_write_min_wait", "10ms", "--remote_write_max_wait", "100ms"}
	p := startBinary(t, listen, args...)
	const total, per = 20_000, 1_000
	for from := 0; from < total; from += per {
		if code, msg := post(t, p.url, encode(t, testenv.NodeSeries(from, per, 1000)), nil); code != http.StatusNoContent {
			t.Fatalf("write: %d %s", code, msg)
		}
	}
	p.Kill()
	b.Fail(0)
	startBinary(t, listen, args...)
	testenv.Eventually(t, 60*time.Second, "everything acknowledged to arrive", func() bool {
		return len(union(a.Samples(), b.Samples())) == total
	})
	checkAtLeastOnce(t, total, a.Samples(), b.Samples())
}

// TestKillLoop kills prws with SIGKILL three times under continuous load
// and restarts it; every acknowledged series must arrive.
func TestKillLoop(t *testing.T) {
	a, b := newRecorder(t), newRecorder(t)
	dir, listen := t.TempDir(), testenv.FreeAddr(t)
	args := []string{"--data-dir", dir, "--promes", a.URL() + "," + b.URL(), "--remote_write_min_wait", "10ms", "--remote_write_max_wait", "100ms"}
	var acked sync.Map // series number -> struct{}
	var next atomic.Int64
	for round := 0; round < 3; round++ {
		p := startBinary(t, listen, args...)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				loadUntil(t, p.url, stop, &next, &acked)
			}()
		}
		time.Sleep(700 * time.Millisecond)
		p.Kill()
		close(stop)
		wg.Wait()
	}
	startBinary(t, listen, args...)
	want := 0
	acked.Range(func(_, _ any) bool { want++; return true })
	if want == 0 {
		t.Fatal("no request was acknowledged")
	}
	testenv.Eventually(t, 60*time.Second, "every acknowledged series to arrive", func() bool {
		got := union(a.Samples(), b.Samples())
		missing := 0
		acked.Range(func(k, _ any) bool {
			if _, ok := got[seriesName(k.(int))]; !ok {
				missing++
			}
			return true
		})
		return missing == 0
	})
	t.Logf("%d acknowledged series delivered across 3 kills", want)
}

// loadUntil posts 200-series requests until stop, recording the series of
// every acknowledged request.
func loadUntil(t *testing.T, url string, stop <-chan struct{}, next *atomic.Int64, acked *sync.Map) {
	for i := 0; i < 10_000; i++ {
		select {
		case <-stop:
			return
		default:
		}
		from := int(next.Add(200)) - 200
		code, _ := post(t, url, encode(t, testenv.NodeSeries(from, 200, 1000)), nil)
		if code == http.StatusNoContent {
			for s := from; s < from+200; s++ {
				acked.Store(s, struct{}{})
			}
		}
	}
}

func union(ms ...map[string][]int64) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			out[seriesName(seriesNumber(k))] = true
		}
	}
	return out
}

// checkAtLeastOnce asserts every series 0..total-1 arrived at least once.
func checkAtLeastOnce(t *testing.T, total int, ms ...map[string][]int64) {
	t.Helper()
	got := union(ms...)
	for i := 0; i < total; i++ {
		if !got[seriesName(i)] {
			t.Fatalf("series %d missing", i)
		}
	}
}
