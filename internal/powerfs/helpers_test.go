package powerfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// write creates or truncates path with data, fsyncing the file if sync.
func write(t *testing.T, path, data string, sync bool) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// appendTo appends data to path, fsyncing the file if sync.
func appendTo(t *testing.T, path, data string, sync bool) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
}

// syncDir fsyncs a directory.
func syncDir(t *testing.T, dir string) {
	t.Helper()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
}

// durableFile creates path with data and makes both durable.
func durableFile(t *testing.T, path, data string) {
	t.Helper()
	write(t, path, data, true)
	syncDir(t, filepath.Dir(path))
}

func cut(t *testing.T, fs *FS) {
	t.Helper()
	if err := fs.PowerCut(); err != nil {
		t.Fatal(err)
	}
}

// wantContent fails unless path holds data.
func wantContent(t *testing.T, path, data string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if string(b) != data {
		t.Fatalf("%s holds %q, want %q", path, b, data)
	}
}

// wantGone fails unless path does not exist.
func wantGone(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s: got %v, want it gone", path, err)
	}
}

// wantEIO fails unless err is EIO.
func wantEIO(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("%s: got %v, want EIO", what, err)
	}
}
