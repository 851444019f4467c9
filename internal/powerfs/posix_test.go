package powerfs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/prws/prws/internal/lockfile"
	"golang.org/x/sys/unix"
)

func TestHandleDeadAfterCut(t *testing.T) {
	dir, fs := MountT(t)
	p := filepath.Join(dir, "f")
	durableFile(t, p, "durable")
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("DURABLE+more"), 0); err != nil {
		t.Fatal(err)
	}
	cut(t, fs)
	_, err = f.Write([]byte("x"))
	wantEIO(t, "write", err)
	_, err = f.ReadAt(make([]byte, 4), 0)
	wantEIO(t, "read", err)
	wantEIO(t, "fsync", f.Sync())
	_, err = f.Stat()
	wantEIO(t, "fstat", err)
	wantEIO(t, "close", f.Close())
	wantContent(t, p, "durable")
}

func TestUnlinkedOpenFileKeepsWorking(t *testing.T) {
	dir, _ := MountT(t)
	p := filepath.Join(dir, "f")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("still here"), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 10)
	if _, err := f.ReadAt(b, 0); err != nil || string(b) != "still here" {
		t.Fatalf("read %q, %v", b, err)
	}
	if fi, err := f.Stat(); err != nil || fi.Sys().(*syscall.Stat_t).Nlink != 0 {
		t.Fatalf("fstat %v, %v; want nlink 0", fi, err)
	}
	wantGone(t, p)
}

func TestHardLink(t *testing.T) {
	dir, fs := MountT(t)
	p, q := filepath.Join(dir, "f"), filepath.Join(dir, "g")
	durableFile(t, p, "data")
	if err := os.Link(p, q); err != nil {
		t.Fatal(err)
	}
	appendTo(t, q, "+more", true)
	wantContent(t, p, "data+more")
	cut(t, fs)
	wantGone(t, q) // the link's name was not made durable
	wantContent(t, p, "data+more")
	if err := os.Link(p, q); err != nil {
		t.Fatal(err)
	}
	syncDir(t, dir)
	cut(t, fs)
	fp, err1 := os.Stat(p)
	fq, err2 := os.Stat(q)
	if err1 != nil || err2 != nil || !os.SameFile(fp, fq) {
		t.Fatalf("after cut: %v, %v; want two names of one inode", err1, err2)
	}
	if n := fp.Sys().(*syscall.Stat_t).Nlink; n != 2 {
		t.Fatalf("nlink %d, want 2", n)
	}
}

func TestWritesAtOffsets(t *testing.T) {
	dir, _ := MountT(t)
	p := filepath.Join(dir, "f")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mustWriteAt(t, f, "end", 10)
	mustWriteAt(t, f, "ab", 2)
	want := "\x00\x00ab\x00\x00\x00\x00\x00\x00end"
	wantContent(t, p, want)
	if fi, _ := f.Stat(); fi.Size() != int64(len(want)) {
		t.Fatalf("size %d, want %d", fi.Size(), len(want))
	}
	appendTo(t, p, "+tail", false)
	wantContent(t, p, want+"+tail")
	if err := f.Truncate(3); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, 8); err != nil {
		t.Fatal(err)
	}
	wantContent(t, p, "\x00\x00a\x00\x00\x00\x00\x00")
}

func mustWriteAt(t *testing.T, f *os.File, s string, off int64) {
	t.Helper()
	if _, err := f.WriteAt([]byte(s), off); err != nil {
		t.Fatal(err)
	}
}

func TestReadDirAndErrors(t *testing.T) {
	dir, _ := MountT(t)
	for _, name := range []string{"c", "a", "b"} {
		write(t, filepath.Join(dir, name), name, false)
	}
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "d", "x"), "", false)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"a", "b", "c", "d"}) || !ents[3].IsDir() {
		t.Fatalf("readdir: %v", names)
	}
	if err := os.Remove(filepath.Join(dir, "d")); !errors.Is(err, syscall.ENOTEMPTY) {
		t.Fatalf("rmdir of a non-empty directory: %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "a"), 0o755); !errors.Is(err, os.ErrExist) {
		t.Fatalf("mkdir over a file: %v", err)
	}
	if err := os.Rename(filepath.Join(dir, "a"), filepath.Join(dir, "d")); err == nil {
		t.Fatal("rename of a file over a directory succeeded")
	}
	if err := unix.Renameat2(unix.AT_FDCWD, filepath.Join(dir, "a"), unix.AT_FDCWD, filepath.Join(dir, "b"), unix.RENAME_NOREPLACE); !errors.Is(err, syscall.EEXIST) {
		t.Fatalf("RENAME_NOREPLACE: %v", err)
	}
	if err := unix.Renameat2(unix.AT_FDCWD, filepath.Join(dir, "a"), unix.AT_FDCWD, filepath.Join(dir, "b"), unix.RENAME_EXCHANGE); err != nil {
		t.Fatalf("RENAME_EXCHANGE: %v", err)
	}
	wantContent(t, filepath.Join(dir, "a"), "b")
}

func TestSymlinkAndStatfs(t *testing.T) {
	dir, fs := MountT(t)
	if err := os.Symlink("target", filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	syncDir(t, dir)
	cut(t, fs)
	if got, err := os.Readlink(filepath.Join(dir, "l")); err != nil || got != "target" {
		t.Fatalf("readlink: %q, %v", got, err)
	}
	write(t, filepath.Join(dir, "f"), string(make([]byte, 1<<20)), false)
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if used := (st.Blocks - st.Bfree) * uint64(st.Bsize); used < 1<<20 || st.Bavail == 0 {
		t.Fatalf("statfs: %d bytes used, %d blocks available", used, st.Bavail)
	}
}

func TestLockfileOnMount(t *testing.T) {
	dir, fs := MountT(t)
	l, err := lockfile.Acquire(dir, lockfile.Info{Listen: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockfile.Acquire(dir, lockfile.Info{}); !errors.Is(err, lockfile.ErrHeld) {
		t.Fatalf("second Acquire: %v, want ErrHeld", err)
	}
	// The holder is abandoned by a power cut: a new start may take the lock.
	cut(t, fs)
	l2, err := lockfile.Acquire(dir, lockfile.Info{})
	if err != nil {
		t.Fatalf("Acquire after a power cut: %v", err)
	}
	_ = l.Release() // its handle is dead
	if err := l2.Release(); err != nil {
		t.Fatal(err)
	}
}

func TestMmapSeesWrites(t *testing.T) {
	dir, _ := MountT(t)
	p := filepath.Join(dir, "f")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page := bytes.Repeat([]byte{'a'}, 4096)
	mustWriteAt(t, f, string(page), 0)
	m, err := unix.Mmap(int(f.Fd()), 0, 4096, unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	mustWriteAt(t, f, "b", 10)
	if m[10] != 'b' || m[11] != 'a' {
		t.Fatalf("mapping does not see a pwrite: %q", m[8:12])
	}
}

func TestCounters(t *testing.T) {
	dir, fs := MountT(t)
	durableFile(t, filepath.Join(dir, "f"), "x")
	appendTo(t, filepath.Join(dir, "f"), "y", true)
	cut(t, fs)
	if got, want := fs.Stats(), (Stats{FileSyncs: 2, DirSyncs: 1, PowerCuts: 1}); got != want {
		t.Fatalf("stats %+v, want %+v", got, want)
	}
}

func TestFailNextFsync(t *testing.T) {
	dir, fs := MountT(t)
	p := filepath.Join(dir, "seg")
	durableFile(t, p, "aaaa")
	fs.FailNextFsync("s*")
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("bbbb"); err != nil {
		t.Fatal(err)
	}
	wantEIO(t, "injected fsync", f.Sync())
	if _, err := f.WriteString("cccc"); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("fsync after the failed one: %v", err)
	}
	wantContent(t, p, "aaaabbbbcccc")
	cut(t, fs)
	wantContent(t, p, "aaaa\x00\x00\x00\x00cccc") // the hole a retry cannot fill
	if s := fs.Stats(); s.FailedSyncs != 1 {
		t.Fatalf("FailedSyncs %d, want 1", s.FailedSyncs)
	}
}
