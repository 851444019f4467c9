package powerfs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestUnsyncedWriteGone(t *testing.T) {
	dir, fs := MountT(t)
	p := filepath.Join(dir, "f")
	durableFile(t, p, "synced")
	appendTo(t, p, "+unsynced", false)
	wantContent(t, p, "synced+unsynced")
	cut(t, fs)
	wantContent(t, p, "synced")
}

func TestFsyncedWriteKept(t *testing.T) {
	dir, fs := MountT(t)
	p := filepath.Join(dir, "f")
	durableFile(t, p, "one")
	appendTo(t, p, "+two", true)
	cut(t, fs)
	wantContent(t, p, "one+two")
}

func TestNeverSyncedFileIsEmpty(t *testing.T) {
	dir, fs := MountT(t)
	p := filepath.Join(dir, "f")
	write(t, p, "data", false)
	syncDir(t, dir)
	cut(t, fs)
	wantContent(t, p, "")
}

func TestCreatedWithoutDirSyncGone(t *testing.T) {
	dir, fs := MountT(t)
	p := filepath.Join(dir, "f")
	write(t, p, "data", true)
	cut(t, fs)
	wantGone(t, p)
}

func TestCreatedWithFileAndDirSyncKept(t *testing.T) {
	dir, fs := MountT(t)
	p := filepath.Join(dir, "f")
	durableFile(t, p, "data")
	cut(t, fs)
	wantContent(t, p, "data")
}

func TestRenameWithoutDirSyncReverts(t *testing.T) {
	dir, fs := MountT(t)
	oldp, newp := filepath.Join(dir, "old"), filepath.Join(dir, "new")
	durableFile(t, oldp, "data")
	if err := os.Rename(oldp, newp); err != nil {
		t.Fatal(err)
	}
	cut(t, fs)
	wantContent(t, oldp, "data")
	wantGone(t, newp)
}

func TestRenameWithDirSyncKept(t *testing.T) {
	dir, fs := MountT(t)
	oldp, newp := filepath.Join(dir, "old"), filepath.Join(dir, "new")
	durableFile(t, oldp, "data")
	if err := os.Rename(oldp, newp); err != nil {
		t.Fatal(err)
	}
	syncDir(t, dir)
	cut(t, fs)
	wantContent(t, newp, "data")
	wantGone(t, oldp)
}

// The atomic-replace idiom: temp file, fsync, rename over, fsync dir.
func TestRenameOverExisting(t *testing.T) {
	dir, fs := MountT(t)
	p, tmp := filepath.Join(dir, "f"), filepath.Join(dir, "f.tmp")
	durableFile(t, p, "old")
	write(t, tmp, "new", true)
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	wantContent(t, p, "new")
	cut(t, fs)
	wantContent(t, p, "old") // the directory was not fsynced
	wantGone(t, tmp)
	write(t, tmp, "new", true)
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	syncDir(t, dir)
	cut(t, fs)
	wantContent(t, p, "new")
	wantGone(t, tmp)
}

func TestRenameBetweenDirs(t *testing.T) {
	dir, fs := MountT(t)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	syncDir(t, dir)
	durableFile(t, filepath.Join(a, "f"), "data")
	if err := os.Rename(filepath.Join(a, "f"), filepath.Join(b, "f")); err != nil {
		t.Fatal(err)
	}
	syncDir(t, b) // only the target: the file ends up under both names
	cut(t, fs)
	wantContent(t, filepath.Join(a, "f"), "data")
	wantContent(t, filepath.Join(b, "f"), "data")
}

func TestUnlinkWithoutDirSyncReverts(t *testing.T) {
	dir, fs := MountT(t)
	p := filepath.Join(dir, "f")
	durableFile(t, p, "durable")
	appendTo(t, p, "+lost", false)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	wantGone(t, p)
	cut(t, fs)
	wantContent(t, p, "durable")
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	syncDir(t, dir)
	cut(t, fs)
	wantGone(t, p)
}

func TestTruncateWithoutFsyncReverts(t *testing.T) {
	dir, fs := MountT(t)
	p, q := filepath.Join(dir, "f"), filepath.Join(dir, "g")
	durableFile(t, p, "hello world")
	durableFile(t, q, "hello world")
	if err := os.Truncate(p, 5); err != nil {
		t.Fatal(err)
	}
	write(t, q, "x", false) // O_TRUNC
	wantContent(t, p, "hello")
	cut(t, fs)
	wantContent(t, p, "hello world")
	wantContent(t, q, "hello world")
}

func TestNestedDirs(t *testing.T) {
	dir, fs := MountT(t)
	a := filepath.Join(dir, "a")
	b := filepath.Join(a, "b")
	if err := os.MkdirAll(b, 0o755); err != nil {
		t.Fatal(err)
	}
	syncDir(t, dir)
	durableFile(t, filepath.Join(b, "f"), "data") // fsyncs b, not a
	cut(t, fs)
	if fi, err := os.Stat(a); err != nil || !fi.IsDir() {
		t.Fatalf("a: %v, %v; want a directory", fi, err)
	}
	wantGone(t, b)

	if err := os.MkdirAll(b, 0o755); err != nil {
		t.Fatal(err)
	}
	durableFile(t, filepath.Join(b, "f"), "data")
	syncDir(t, a)
	cut(t, fs)
	wantContent(t, filepath.Join(b, "f"), "data")
}

func TestRmdirWithoutDirSyncReverts(t *testing.T) {
	dir, fs := MountT(t)
	d := filepath.Join(dir, "d")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	syncDir(t, dir)
	if err := os.Remove(d); err != nil {
		t.Fatal(err)
	}
	cut(t, fs)
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		t.Fatalf("d: %v, %v; want it back", fi, err)
	}
}

func TestChmodWithoutFsyncReverts(t *testing.T) {
	dir, fs := MountT(t)
	p := filepath.Join(dir, "f")
	durableFile(t, p, "x")
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v after chmod", fi.Mode())
	}
	cut(t, fs)
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, %v; want 0644 back", fi.Mode(), err)
	}
}
