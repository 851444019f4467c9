package deadletter

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadFile feeds arbitrary bytes as a dead-letter file: List, Read and
// Stats must report, never panic or allocate past the file's size.
func FuzzReadFile(f *testing.F) {
	dir := f.TempDir()
	l, err := Open(dir)
	if err != nil {
		f.Fatal(err)
	}
	if err := l.Write(entry(1)); err != nil {
		f.Fatal(err)
	}
	metas, _ := l.List()
	good, _ := os.ReadFile(filepath.Join(dir, metas[0].Name))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Add(append(magic[:], 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, _ := Open(t.TempDir())
		name := formatName(1)
		if err := os.WriteFile(filepath.Join(l.Path(), name), data, 0o640); err != nil {
			t.Fatal(err)
		}
		metas, err := l.List()
		if err != nil || len(metas) != 1 {
			t.Fatalf("List = %d, %v", len(metas), err)
		}
		e, err := l.Read(name)
		if err == nil && metas[0].Corrupt != "" {
			t.Fatalf("Read accepted a file List calls corrupt (%s)", metas[0].Corrupt)
		}
		if err == nil && len(e.Body) > len(data) {
			t.Fatal("body larger than the file")
		}
		_, _ = l.Stats()
	})
}
