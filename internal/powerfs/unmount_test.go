package powerfs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestUnmountBusy: a file left open does not keep the mount (or the test)
// alive.
func TestUnmountBusy(t *testing.T) {
	if err := Available(); err != nil {
		t.Skipf("power-cut tests need /dev/fuse: %v", err)
	}
	dir := t.TempDir()
	fs, err := Mount(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := fs.Unmount(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Fatal("write on a handle of an unmounted file system succeeded")
	}
	var in, parent syscall.Stat_t
	if err := syscall.Stat(dir, &in); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(filepath.Dir(dir), &parent); err != nil {
		t.Fatal(err)
	}
	if in.Dev != parent.Dev {
		t.Fatalf("%s is still a mount point", dir)
	}
	if err := fs.PowerCut(); err != ErrUnmounted {
		t.Fatalf("PowerCut after Unmount: %v, want ErrUnmounted", err)
	}
}
