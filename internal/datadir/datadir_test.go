package datadir

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestBackendInfoRoundTrip(t *testing.T) {
	data := t.TempDir()
	in := BackendInfo{ID: "0123456789abcdef", URL: "http://h/api/v1/write", Created: time.Unix(1, 0).UTC(), Shards: 4}
	if err := WriteBackendInfo(data, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadBackendInfo(data, in.ID)
	if err != nil || !reflect.DeepEqual(in, out) {
		t.Fatalf("read %+v, %v; want %+v", out, err, in)
	}
}

// TestListingIgnoresUnknown: only well-formed backend ids and 4-digit
// shard directories are listed; other files are left alone.
func TestListingIgnoresUnknown(t *testing.T) {
	data := t.TempDir()
	for _, d := range []string{QueueDir(data, "0123456789abcdef", 1), QueueDir(data, "0123456789abcdef", 0),
		filepath.Join(BackendDir(data, "0123456789abcdef"), "notes"), filepath.Join(QueuesDir(data), "not-an-id"),
		filepath.Join(QueuesDir(data), "0123456789ABCDEF")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(QueuesDir(data), "README"), []byte("x"), 0o640)
	ids, err := Backends(data)
	if err != nil || !reflect.DeepEqual(ids, []string{"0123456789abcdef"}) {
		t.Fatalf("Backends = %v, %v", ids, err)
	}
	shards, err := Shards(data, "0123456789abcdef")
	if err != nil || !reflect.DeepEqual(shards, []int{0, 1}) {
		t.Fatalf("Shards = %v, %v", shards, err)
	}
	if ids, err := Backends(t.TempDir()); err != nil || ids != nil {
		t.Fatalf("empty data dir: %v, %v", ids, err)
	}
}
