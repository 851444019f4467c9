package powerfs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Available reports whether simulated disks can be mounted here: nil if
// /dev/fuse opens and a probe mount and unmount succeed, the reason
// otherwise. It mounts on a fresh temporary directory and removes it.
func Available() error {
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("powerfs: %w", err)
	}
	f.Close()
	if os.Geteuid() != 0 {
		if _, err := fusermountPath(); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "powerfs-probe-")
	if err != nil {
		return fmt.Errorf("powerfs: %w", err)
	}
	defer os.Remove(dir)
	fs, err := Mount(dir, Options{})
	if err != nil {
		return err
	}
	return fs.Unmount()
}

// MountT mounts a simulated disk on a fresh t.TempDir() and returns the
// mount point. It skips the test, saying why, where Available fails, and
// unmounts at the end of the test (forcibly if something still holds it).
// The test process serves the mount: it must not mmap files on it (bbolt
// does); run such users as child processes (see the package doc).
func MountT(t testing.TB) (string, *FS) {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("power-cut tests need /dev/fuse: %v", err)
	}
	dir := t.TempDir()
	fs, err := Mount(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := fs.Unmount(); err != nil {
			t.Error(err)
		}
	})
	return dir, fs
}

// fusermountPath finds the unprivileged mount helper.
func fusermountPath() (string, error) {
	for _, name := range []string{"fusermount3", "fusermount"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("powerfs: not root and neither fusermount3 nor fusermount is installed")
}

// fusermount runs the mount helper with args.
func fusermount(args ...string) error {
	p, err := fusermountPath()
	if err != nil {
		return err
	}
	if out, err := exec.Command(p, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", p, err, out)
	}
	return nil
}
