package e2e

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/internal/testenv"
	"github.com/prws/prws/router"
)

// TestStartupRepairsQueue: a queue with a garbage tail and a flipped bit
// in an older segment opens; the damaged record is skipped and counted,
// every other record is delivered exactly once.
func TestStartupRepairsQueue(t *testing.T) {
	a, b := newRecorder(t), newRecorder(t)
	b.Fail(http.StatusServiceUnavailable)
	dir := t.TempDir()
	cfg := testConfig(t, dir, a, b)
	cfg.SegmentBytes = 32 << 10
	in := start(t, cfg)
	const total, per = 20_000, 500
	for from := 0; from < total; from += per {
		if code, msg := post(t, in.url, encode(t, testenv.NodeSeries(from, per, 1000)), nil); code != http.StatusNoContent {
			t.Fatalf("write: %d %s", code, msg)
		}
	}
	testenv.Eventually(t, 30*time.Second, "a to receive its share", func() bool { return a.SampleCount() > total/3 })
	in.stop(t)

	id, _ := router.BackendID(b.URL())
	segs := testenv.Segments(t, datadir.QueueDir(dir, id, 0))
	if len(segs) < 3 {
		t.Fatalf("want >= 3 segments to corrupt an older one, got %d", len(segs))
	}
	testenv.FlipInSecondRecord(t, segs[0])
	appendGarbage(t, segs[len(segs)-1])

	b.Fail(0)
	in = start(t, cfg)
	testenv.Eventually(t, 30*time.Second, "b's queues to drain", func() bool { return pendingSamples(in.d.Queues(), b) == 0 })
	var corrupt uint64
	for _, q := range in.d.Queues() {
		corrupt += q.Corrupt
	}
	if corrupt != 1 {
		t.Errorf("corrupt records counted: %d, want 1", corrupt)
	}
	got := len(union(a.Samples(), b.Samples()))
	if lost := total - got; lost <= 0 || lost > per {
		t.Errorf("lost %d series, want between 1 and one record's worth (%d)", lost, per)
	}
	for k, ts := range b.Samples() {
		if len(ts) != 1 {
			t.Fatalf("series %s delivered %d times", k, len(ts))
		}
	}
}

func appendGarbage(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write([]byte{0x83, 0x01, 'g', 'a', 'r', 'b', 'a', 'g', 'e', 0, 0, 0, 0, 0, 0, 0})
}
