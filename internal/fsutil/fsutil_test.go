package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	for _, content := range []string{"first", "second, longer"} {
		if err := WriteFileAtomic(p, ".tmp", []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
	}
	if _, err := os.Stat(p + ".tmp"); !os.IsNotExist(err) {
		t.Fatalf("temp file left behind: %v", err)
	}
}

func TestWriteFileAtomicFailureLeavesOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := WriteFileAtomic(p, ".tmp", []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	// A directory where the temp file must go makes the write fail.
	if err := os.Mkdir(p+".tmp", 0o750); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, ".tmp", []byte("new"), 0o640); err == nil {
		t.Fatal("write over a blocked temp path succeeded")
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("file is %q after a failed replace, want the old content", got)
	}
}

func TestSyncDirMissing(t *testing.T) {
	if err := SyncDir(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("SyncDir of a missing directory succeeded")
	}
}

func TestMkdirDurable(t *testing.T) {
	top := filepath.Join(t.TempDir(), "data")
	dir := filepath.Join(top, "queues", "b", "0000")
	for range 2 { // creating, then again on what exists
		if err := MkdirDurable(dir, top, 0o750); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			t.Fatalf("%s: %v", dir, err)
		}
	}
	if err := MkdirDurable(filepath.Join(top, "f", "x"), top, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(top, "file"), nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := MkdirDurable(filepath.Join(top, "file", "x"), top, 0o750); err == nil {
		t.Fatal("MkdirDurable under a regular file succeeded")
	}
}
