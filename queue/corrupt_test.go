package queue

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// corruptSegBytes gives about six test records per segment.
const corruptSegBytes = 300

// segLayout describes one segment of a test queue: its path and the test
// record numbers it holds (record n has index n+1).
type segLayout struct {
	path    string
	records []int
	offsets []int // byte offset of each entry
}

// layout parses dir's segments.
func layout(t *testing.T, dir string) []segLayout {
	t.Helper()
	var out []segLayout
	for _, p := range segmentPaths(t, dir) {
		idx, _, _ := parseSegmentName(filepath.Base(p))
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := segLayout{path: p}
		for off, n := 0, int(idx)-1; off < len(data); n++ {
			_, next, ok := nextEntry(data, off)
			if !ok {
				break
			}
			s.records, s.offsets = append(s.records, n), append(s.offsets, off)
			off = next
		}
		out = append(out, s)
	}
	return out
}

// without returns nums minus drop.
func without(nums []int, drop ...int) []int {
	return slices.DeleteFunc(slices.Clone(nums), func(n int) bool { return slices.Contains(drop, n) })
}

// editFile applies f to a file's bytes.
func editFile(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(data), 0o640); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptionTable(t *testing.T) {
	const n = 40
	all := seq(0, n)
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T, segs []segLayout) (delivered []int, skipped uint64, tailRepairs float64)
	}{
		{"zero-filled tail", func(t *testing.T, segs []segLayout) ([]int, uint64, float64) {
			editFile(t, segs[len(segs)-1].path, func(b []byte) []byte { return append(b, make([]byte, 4096)...) })
			return all, 0, 1
		}},
		{"garbage tail", func(t *testing.T, segs []segLayout) ([]int, uint64, float64) {
			junk := randomBytes(rand.New(rand.NewPCG(1, 2)), 777)
			editFile(t, segs[len(segs)-1].path, func(b []byte) []byte { return append(b, junk...) })
			return all, 0, 1
		}},
		{"bit flip in a payload of an older segment", func(t *testing.T, segs []segLayout) ([]int, uint64, float64) {
			s := segs[1]
			editFile(t, s.path, func(b []byte) []byte { b[s.offsets[2]+1+RecordOverhead+3] ^= 0x10; return b })
			return without(all, s.records[2]), 1, 0
		}},
		{"bit flip in a record in the middle of the last segment", func(t *testing.T, segs []segLayout) ([]int, uint64, float64) {
			s := segs[len(segs)-1]
			if len(s.records) < 2 {
				t.Skip("last segment too short")
			}
			editFile(t, s.path, func(b []byte) []byte { b[s.offsets[0]+1+10] ^= 0x01; return b })
			return without(all, s.records[0]), 1, 0
		}},
		{"record carrying another index", func(t *testing.T, segs []segLayout) ([]int, uint64, float64) {
			s := segs[2]
			editFile(t, s.path, func(b []byte) []byte {
				e, _ := DecodeRecord(b[s.offsets[1]+1 : s.offsets[2]])
				e.Index += 100
				copy(b[s.offsets[1]+1:], EncodeRecord(nil, &e))
				return b
			})
			return without(all, s.records[1]), 1, 0
		}},
		{"broken length prefix in an older segment", func(t *testing.T, segs []segLayout) ([]int, uint64, float64) {
			s := segs[1]
			editFile(t, s.path, func(b []byte) []byte { b[s.offsets[2]] = 0xff; return b })
			lost := s.records[2:]
			return without(all, lost...), uint64(len(lost)), 0
		}},
		{"deleted middle segment", func(t *testing.T, segs []segLayout) ([]int, uint64, float64) {
			if err := os.Remove(segs[2].path); err != nil {
				t.Fatal(err)
			}
			return without(all, segs[2].records...), uint64(len(segs[2].records)), 0
		}},
		{"truncated older segment", func(t *testing.T, segs []segLayout) ([]int, uint64, float64) {
			s := segs[0]
			if err := os.Truncate(s.path, int64(s.offsets[3]+5)); err != nil {
				t.Fatal(err)
			}
			return without(all, s.records[3:]...), uint64(len(s.records) - 3), 0
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "be", "0000")
			q := openTest(t, dir, Options{SegmentBytes: corruptSegBytes})
			appendRange(t, q, 0, n)
			q.Close()
			segs := layout(t, dir)
			if len(segs) < 4 {
				t.Fatalf("want at least 4 segments, got %d", len(segs))
			}
			delivered, skipped, repairs := tc.corrupt(t, segs)

			reg := prometheus.NewRegistry()
			q = openTest(t, dir, Options{SegmentBytes: corruptSegBytes, Metrics: NewMetrics(reg)})
			if got := metricValue(t, reg, "prws_queue_tail_repairs_total"); got != repairs {
				t.Errorf("tail repairs %v, want %v", got, repairs)
			}
			equalStrings(t, drain(t, q, 5), want(delivered...))
			if st := q.Stats(); st.Corrupt != skipped || st.PendingRecords != 0 {
				t.Errorf("stats %+v, want %d corrupt and nothing pending", st, skipped)
			}
			if got := metricValue(t, reg, "prws_queue_corrupt_records_total"); got != float64(skipped) {
				t.Errorf("corrupt metric %v, want %d", got, skipped)
			}
			// The queue keeps working: new records follow.
			appendRange(t, q, n, 2)
			equalStrings(t, drain(t, q, 5), want(n, n+1))
		})
	}
}

func TestTornTailAtEveryOffset(t *testing.T) {
	const n = 10
	clean := filepath.Join(t.TempDir(), "be", "0000")
	q := openTest(t, clean, Options{})
	appendRange(t, q, 0, n)
	q.Close()
	tail := lastSegment(t, clean)
	info, err := os.Stat(tail)
	if err != nil {
		t.Fatal(err)
	}
	recLen := int64(1 + RecordOverhead + payloadLen)
	for cut := int64(1); cut < recLen; cut++ {
		dir := copyDir(t, clean)
		if err := os.Truncate(filepath.Join(dir, filepath.Base(tail)), info.Size()-cut); err != nil {
			t.Fatal(err)
		}
		before, err := Inspect(dir)
		if err != nil {
			t.Fatalf("cut %d: Inspect: %v", cut, err)
		}
		q := openTest(t, dir, Options{})
		if st := q.Stats(); st.PendingRecords != n-1 || before.PendingRecords != n-1 {
			t.Fatalf("cut %d: pending %d (Inspect %d), want %d", cut, st.PendingRecords, before.PendingRecords, n-1)
		}
		appendRange(t, q, n-1, 1) // the lost record's index is reused
		equalStrings(t, drain(t, q, 100), want(seq(0, n)...))
		if st := q.Stats(); st.Corrupt != 0 {
			t.Fatalf("cut %d: %d corrupt records", cut, st.Corrupt)
		}
		q.Close()
	}
}

func TestRepairRemovesStaleTempsAndKeepsUnknownFiles(t *testing.T) {
	dir := t.TempDir()
	q := openTest(t, dir, Options{})
	appendRange(t, q, 0, 3)
	q.Close()
	temp := filepath.Join(dir, segmentName(2)+".START.TEMP")
	unknown := filepath.Join(dir, "operator-notes.txt")
	for _, p := range []string{temp, unknown} {
		if err := os.WriteFile(p, []byte("x"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	q = openTest(t, dir, Options{})
	if _, err := os.Stat(temp); !os.IsNotExist(err) {
		t.Fatalf("stale temp file still there: %v", err)
	}
	if data, err := os.ReadFile(unknown); err != nil || !bytes.Equal(data, []byte("x")) {
		t.Fatalf("unknown file touched: %q %v", data, err)
	}
	equalStrings(t, drain(t, q, 10), want(0, 1, 2))
}

func TestTruncatedCursorRedelivers(t *testing.T) {
	dir := t.TempDir()
	q := openTest(t, dir, Options{})
	appendRange(t, q, 0, 6)
	b, _, _ := q.formBatch(2) // records 0,1 (2+... samples)
	if err := q.Ack(b); err != nil {
		t.Fatal(err)
	}
	q.Close()
	if err := os.Truncate(filepath.Join(dir, cursorFileName), 3); err != nil {
		t.Fatal(err)
	}
	q = openTest(t, dir, Options{})
	equalStrings(t, drain(t, q, 100), want(seq(0, 6)...)) // at-least-once: all again
}

// metricValue sums a metric's samples in reg (counters and histogram
// counts).
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var v float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			switch {
			case m.Counter != nil:
				v += m.Counter.GetValue()
			case m.Histogram != nil:
				v += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return v
}
