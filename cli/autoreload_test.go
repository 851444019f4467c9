package cli

import (
	"os"
	"path/filepath"
	"testing"
)

func TestConfigWatchSeesContentChanges(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "prws.yml")
	os.WriteFile(p, []byte("backends: []\n"), 0o600)
	w := newConfigWatch(p)
	if w.changed() {
		t.Error("changed before any change")
	}
	// A ConfigMap update: the file is replaced through a rename, with
	// the same modification time possible.
	tmp := filepath.Join(dir, "new")
	os.WriteFile(tmp, []byte("backends: [{url: http://a/api/v1/write}]\n"), 0o600)
	os.Rename(tmp, p)
	if !w.changed() {
		t.Error("content change not seen")
	}
	if w.changed() {
		t.Error("one change reported twice")
	}
	os.Remove(p)
	if w.changed() {
		t.Error("a missing file counts as a change")
	}
	os.WriteFile(p, []byte("backends: []\n"), 0o600)
	if !w.changed() {
		t.Error("the file coming back with other content not seen")
	}
}
