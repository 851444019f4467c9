package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func openTemp(t *testing.T, opts Options) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, dir
}

func TestOpenDirOrFile(t *testing.T) {
	s, dir := openTemp(t, Options{})
	if s.Path() != filepath.Join(dir, FileName) {
		t.Fatalf("Path() = %s", s.Path())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	s2, err := Open(filepath.Join(dir, FileName), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReopenPersists(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update("limiter", func(b *bbolt.Bucket) error { return b.Put([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBackend(BackendRecord{ID: "abc", URL: "http://a:9090/w"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got []byte
	if err := s.View("limiter", func(b *bbolt.Bucket) error {
		got = bytes.Clone(b.Get([]byte("k")))
		return nil
	}); err != nil || string(got) != "v" {
		t.Fatalf("after reopen: %q, %v", got, err)
	}
	if recs, err := s.Backends(); err != nil || len(recs) != 1 || recs[0].ID != "abc" {
		t.Fatalf("backends after reopen: %+v, %v", recs, err)
	}
}

func TestSecondOpenFailsFastWithErrLocked(t *testing.T) {
	_, dir := openTemp(t, Options{})
	timeout := 200 * time.Millisecond
	_, err := Open(dir, Options{LockTimeout: timeout})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open err = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "another prws") || !strings.Contains(err.Error(), FileName) {
		t.Fatalf("error %q does not say the file is in use by another prws", err)
	}
	if _, err := Open(dir, Options{LockTimeout: timeout, ReadOnly: true}); !errors.Is(err, ErrLocked) {
		t.Fatalf("read-only Open while open read-write: %v, want ErrLocked", err)
	}
}

func TestCorruptFileIsReportedAndKept(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for name, content := range map[string][]byte{
		"short text":   []byte("this is not a bolt file"),
		"one page":     random(4096),
		"many pages":   random(64 << 10),
		"zeroed pages": make([]byte, 32<<10),
		"smashed meta": smashedMeta(t),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(path, Options{})
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Open err = %v, want ErrCorrupt naming %s", err, path)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, content) {
				t.Fatal("Open modified the corrupt file")
			}
		})
	}
}

// smashedMeta returns a valid state file whose two meta pages are
// overwritten with garbage.
func smashedMeta(t *testing.T) []byte {
	s, _ := openTemp(t, Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	page := os.Getpagesize()
	for i := 16; i < 2*page && i < len(b); i++ {
		b[i] ^= 0x5a
	}
	return b
}

func TestNewerFormatRefused(t *testing.T) {
	s, dir := openTemp(t, Options{})
	err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(metaBucket)).Put([]byte(versionKey), binary.BigEndian.AppendUint64(nil, FormatVersion+1))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ro := range []bool{false, true} {
		_, err = Open(dir, Options{ReadOnly: ro})
		if !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), "format version 2") {
			t.Fatalf("read-only %v: Open err = %v, want ErrNewerFormat naming version 2", ro, err)
		}
	}
}

func TestMalformedVersionIsCorrupt(t *testing.T) {
	s, dir := openTemp(t, Options{})
	if err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(metaBucket)).Put([]byte(versionKey), []byte("v1"))
	}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open err = %v, want ErrCorrupt", err)
	}
}

func TestReadOnlyOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutBackend(BackendRecord{ID: "x", URL: "http://x/w"}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	r1, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("two read-only opens must share the file: %v", err)
	}
	defer r2.Close()
	if recs, err := r2.Backends(); err != nil || len(recs) != 1 {
		t.Fatalf("read-only Backends: %+v %v", recs, err)
	}
	if err := r1.Update("x", func(*bbolt.Bucket) error { return nil }); err == nil {
		t.Fatal("Update on a read-only store succeeded")
	}
}
