package queue

import (
	"os"
	"path/filepath"
	"testing"
)

func TestInspectEqualsStats(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "be", "0003")
	q := openTest(t, dir, Options{SegmentBytes: corruptSegBytes, TruncateSegments: 2})
	appendRange(t, q, 0, 60)
	drainN(t, q, 25)
	q.persist()
	q.maybeTruncate()
	st := q.Stats()
	if st.PendingRecords != 35 || st.Segments == 0 || st.PendingBytes == 0 || st.OldestPending.IsZero() {
		t.Fatalf("stats %+v", st)
	}
	var samples uint64
	for n := 25; n < 60; n++ {
		samples += uint64(testRecord(n).Samples)
	}
	if st.PendingSamples != samples {
		t.Fatalf("pending samples %d, want %d", st.PendingSamples, samples)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.PendingRecords != st.PendingRecords || got.PendingSamples != st.PendingSamples ||
		got.PendingBytes != st.PendingBytes || got.Segments != st.Segments ||
		!got.OldestPending.Equal(st.OldestPending) || got.Corrupt != st.Corrupt {
		t.Fatalf("Inspect %+v\n  Stats %+v", got, st)
	}
}

func TestInspectTornDirReadOnly(t *testing.T) {
	dir := t.TempDir()
	q := openTest(t, dir, Options{SegmentBytes: corruptSegBytes})
	appendRange(t, q, 0, 20)
	q.Close()
	tail := lastSegment(t, dir)
	editFile(t, tail, func(b []byte) []byte { return append(b[:len(b)-7], make([]byte, 100)...) })
	before := snapshot(t, dir)
	st, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.PendingRecords != 19 {
		t.Fatalf("Inspect of torn dir: %+v", st)
	}
	after := snapshot(t, dir)
	if len(before) != len(after) {
		t.Fatalf("Inspect changed the file set")
	}
	for name, data := range before {
		if after[name] != data {
			t.Fatalf("Inspect modified %s", name)
		}
	}
	if st, err := Inspect(filepath.Join(dir, "missing")); err == nil {
		t.Fatalf("Inspect of a missing dir: %+v", st)
	}
	empty, err := Inspect(t.TempDir())
	if err != nil || empty != (Stats{}) {
		t.Fatalf("Inspect of an empty dir: %+v %v", empty, err)
	}
}

// snapshot reads every file of dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string)
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}
