package powerfs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSmoke(t *testing.T) {
	dir, fs := MountT(t)
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	t.Logf("%q %v %+v", b, err, fs.Stats())
	if err := fs.PowerCut(); err != nil {
		t.Fatal(err)
	}
	_, err = os.ReadFile(p)
	t.Logf("after cut: %v", err)
}
