package queue

import (
	"os"
	"path/filepath"
	"testing"
)

// truncateAll acknowledges records [0, n) of q and truncates.
func truncateAll(t *testing.T, q *Queue, n int) []string {
	t.Helper()
	got := drainN(t, q, n)
	q.persist()
	q.maybeTruncate()
	return got
}

// Truncation frees the removed segments through the trash and leaves it
// empty.
func TestTruncationEmptiesTrash(t *testing.T) {
	dir := t.TempDir()
	q := openTest(t, dir, Options{SegmentBytes: corruptSegBytes})
	appendRange(t, q, 0, 120)
	before := len(segmentPaths(t, dir))
	got := truncateAll(t, q, 90)
	if n := len(segmentPaths(t, dir)); n >= before-5 {
		t.Fatalf("%d of %d segments left after acknowledging three quarters", n, before)
	}
	ents, err := os.ReadDir(filepath.Join(dir, trashDir))
	if err != nil {
		t.Fatalf("truncation made no trash: %v", err)
	}
	if len(ents) != 0 {
		t.Fatalf("trash keeps %d files after the truncation", len(ents))
	}
	got = append(got, drain(t, q, 7)...)
	equalStrings(t, got, want(seq(0, 120)...))
}

// What a crash left in the trash is cleared at open, and the queue is
// whole.
func TestStaleTrashClearedAtOpen(t *testing.T) {
	dir := t.TempDir()
	q := openTest(t, dir, Options{SegmentBytes: corruptSegBytes})
	appendRange(t, q, 0, 30)
	q.Close()
	trash := filepath.Join(dir, trashDir)
	if err := os.Mkdir(trash, 0o750); err != nil {
		t.Fatal(err)
	}
	seg := segmentPaths(t, dir)[0]
	if err := os.Link(seg, filepath.Join(trash, filepath.Base(seg))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(trash, "junk"), []byte("x"), 0o640); err != nil {
		t.Fatal(err)
	}
	q = openTest(t, dir, Options{SegmentBytes: corruptSegBytes})
	if _, err := os.Stat(trash); !os.IsNotExist(err) {
		t.Fatalf("stale trash still there after open: %v", err)
	}
	equalStrings(t, drain(t, q, 7), want(seq(0, 30)...))
}

// Where the trash cannot be made, the wal removes the segments itself.
func TestTruncationWithoutTrash(t *testing.T) {
	dir := t.TempDir()
	q := openTest(t, dir, Options{SegmentBytes: corruptSegBytes})
	if err := os.WriteFile(filepath.Join(dir, trashDir), nil, 0o640); err != nil {
		t.Fatal(err) // a file where the trash directory would go
	}
	appendRange(t, q, 0, 120)
	before := len(segmentPaths(t, dir))
	got := truncateAll(t, q, 90)
	if n := len(segmentPaths(t, dir)); n >= before-5 {
		t.Fatalf("%d of %d segments left after acknowledging three quarters", n, before)
	}
	got = append(got, drain(t, q, 7)...)
	equalStrings(t, got, want(seq(0, 120)...))
}
