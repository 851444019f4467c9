package wal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// countDirSyncs makes l count its directory fsyncs (still doing them).
func countDirSyncs(l *Log) *int {
	n := new(int)
	l.dirSync = func(dir string) error { *n++; return syncDir(dir) }
	return n
}

// A write that starts a new segment file fsyncs the directory before it
// returns, so the entries it reports durable live under a durable name.
func TestCycleSyncsDirBeforeReturning(t *testing.T) {
	l, err := Open(t.TempDir(), &Options{SegmentSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	syncs := countDirSyncs(l)
	entry := bytes.Repeat([]byte("x"), 1000)
	for i := uint64(1); i <= 20; i++ {
		before, segs := *syncs, len(l.segments)
		if err := l.Write(i, entry); err != nil {
			t.Fatal(err)
		}
		if created := len(l.segments) - segs; *syncs-before != created {
			t.Fatalf("entry %d: %d segment files created, %d directory fsyncs", i, created, *syncs-before)
		}
	}
	if len(l.segments) < 3 {
		t.Fatalf("only %d segments: the test did not cycle", len(l.segments))
	}
}

// TruncateFront makes its START file durable before removing anything,
// and its removals and rename durable before returning.
func TestTruncationsSyncDir(t *testing.T) {
	for _, tc := range []struct {
		name  string
		trunc func(l *Log) error
	}{
		{"front into the tail", func(l *Log) error { return l.TruncateFront(18) }},
		{"front, older segment", func(l *Log) error { return l.TruncateFront(6) }},
		{"back", func(l *Log) error { return l.TruncateBack(10) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Open(t.TempDir(), &Options{SegmentSize: 4096})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			entry := bytes.Repeat([]byte("y"), 1000)
			for i := uint64(1); i <= 20; i++ {
				if err := l.Write(i, entry); err != nil {
					t.Fatal(err)
				}
			}
			syncs := countDirSyncs(l)
			if err := tc.trunc(l); err != nil {
				t.Fatal(err)
			}
			if *syncs < 2 {
				t.Fatalf("%d directory fsyncs, want one for the new file and one after the removals", *syncs)
			}
		})
	}
}

// With NewTailOnOpen, an opened log never appends to a segment file it
// found on disk; an empty last segment is reused.
func TestNewTailOnOpen(t *testing.T) {
	dir := t.TempDir()
	opts := &Options{NewTailOnOpen: true, AllowEmpty: true}
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Write(1, []byte("one")); err != nil {
		t.Fatal(err)
	}
	l.Close()
	first := filepath.Join(dir, segmentName(1))
	size := fileSize(t, first)

	for round := 0; round < 2; round++ { // the second reopen finds an empty tail
		if l, err = Open(dir, opts); err != nil {
			t.Fatal(err)
		}
		segs, _ := l.Segments()
		if len(segs) != 2 || segs[1].Index != 2 || segs[1].Size != 0 {
			t.Fatalf("round %d: segments %+v, want a new empty tail at index 2", round, segs)
		}
		l.Close()
	}
	if l, err = Open(dir, opts); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Write(2, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if got := fileSize(t, first); got != size {
		t.Fatalf("the old tail grew from %d to %d bytes", size, got)
	}
	if got, err := l.Read(2); err != nil || string(got) != "two" {
		t.Fatalf("read 2: %q, %v", got, err)
	}
}

// After a failed write the Log refuses every further write, Sync and
// truncation, so nothing is ever appended behind the failure.
func TestNoWriteAfterFailure(t *testing.T) {
	l, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Write(1, []byte("a")); err != nil {
		t.Fatal(err)
	}
	l.sfile.Close() // the next write fails as an I/O error would
	if err := l.Write(2, []byte("b")); err == nil {
		t.Fatal("write to a closed file succeeded")
	}
	for name, op := range map[string]func() error{
		"write":    func() error { return l.Write(2, []byte("b")) },
		"sync":     l.Sync,
		"truncate": func() error { return l.TruncateFront(1) },
	} {
		if err := op(); !errors.Is(err, ErrFailed) {
			t.Errorf("%s after a failure: %v, want ErrFailed", name, err)
		}
	}
	if got, err := l.Read(1); err != nil || string(got) != "a" {
		t.Fatalf("read after failure: %q, %v", got, err)
	}
	_ = l.Close()
}

// Segments reports the files and their sizes as they are on disk.
func TestSegmentsMatchDisk(t *testing.T) {
	l, err := Open(t.TempDir(), &Options{SegmentSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := uint64(1); i <= 30; i++ {
		if err := l.Write(i, bytes.Repeat([]byte("z"), int(i)*37)); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			if err := l.TruncateFront(i - 3); err != nil {
				t.Fatal(err)
			}
		}
		segs, err := l.Segments()
		if err != nil {
			t.Fatal(err)
		}
		ents, _ := os.ReadDir(l.path)
		if len(ents) != len(segs) {
			t.Fatalf("after %d: %d files, %d segments", i, len(ents), len(segs))
		}
		for _, s := range segs {
			if got := fileSize(t, s.Path); got != s.Size {
				t.Fatalf("after %d: %s is %d bytes, Segments says %d", i, s.Path, got, s.Size)
			}
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
