package e2e

import (
	"encoding/binary"
	"net/http"
	"os"
	"path/filepath"
	"sort"
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
	b.setFail(http.StatusServiceUnavailable)
	dir := t.TempDir()
	cfg := testConfig(t, dir, a, b)
	cfg.SegmentBytes = 32 << 10
	in := start(t, cfg)
	const total, per = 20_000, 500
	for from := 0; from < total; from += per {
		if code, msg := post(t, in.url, encode(t, makeSeries(from, per, 1000)), nil); code != http.StatusNoContent {
			t.Fatalf("write: %d %s", code, msg)
		}
	}
	testenv.Eventually(t, 30*time.Second, "a to receive its share", func() bool { return a.sampleCount() > total/3 })
	in.stop(t)

	id, _ := router.BackendID(b.URL())
	segs := segments(t, datadir.QueueDir(dir, id, 0))
	if len(segs) < 3 {
		t.Fatalf("want >= 3 segments to corrupt an older one, got %d", len(segs))
	}
	flipInSecondRecord(t, segs[0])
	appendGarbage(t, segs[len(segs)-1])

	b.setFail(0)
	in = start(t, cfg)
	testenv.Eventually(t, 30*time.Second, "b's queues to drain", func() bool { return pendingSamples(in.d.Queues(), b) == 0 })
	var corrupt uint64
	for _, q := range in.d.Queues() {
		corrupt += q.Corrupt
	}
	if corrupt != 1 {
		t.Errorf("corrupt records counted: %d, want 1", corrupt)
	}
	got := len(union(a.snapshot(), b.snapshot()))
	if lost := total - got; lost <= 0 || lost > per {
		t.Errorf("lost %d series, want between 1 and one record's worth (%d)", lost, per)
	}
	for k, ts := range b.snapshot() {
		if len(ts) != 1 {
			t.Fatalf("series %s delivered %d times", k, len(ts))
		}
	}
}

// segments lists the wal segment files of a queue directory, oldest first.
func segments(t *testing.T, qdir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(qdir, "[0-9]*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		if len(filepath.Base(n)) == 20 {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// flipInSecondRecord flips one bit in the middle of the second entry of
// a segment (uvarint length + data entries).
func flipInSecondRecord(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n1, l1 := binary.Uvarint(data)
	off := l1 + int(n1)
	n2, l2 := binary.Uvarint(data[off:])
	data[off+l2+int(n2)/2] ^= 0x10
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
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
