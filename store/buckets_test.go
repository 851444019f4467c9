package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"go.etcd.io/bbolt"
)

func TestUpdateViewBuckets(t *testing.T) {
	s, _ := openTemp(t, Options{})
	if err := s.View("watchdog", func(*bbolt.Bucket) error {
		t.Fatal("fn called for a missing bucket")
		return nil
	}); !errors.Is(err, ErrNoBucket) {
		t.Fatalf("View of missing bucket: %v, want ErrNoBucket", err)
	}
	for _, name := range []string{"", "meta", "backends"} {
		if err := s.Update(name, func(*bbolt.Bucket) error { return nil }); !errors.Is(err, ErrReservedBucket) {
			t.Errorf("Update(%q): %v, want ErrReservedBucket", name, err)
		}
		if err := s.View(name, func(*bbolt.Bucket) error { return nil }); !errors.Is(err, ErrReservedBucket) {
			t.Errorf("View(%q): %v, want ErrReservedBucket", name, err)
		}
	}
	if err := s.Update("watchdog", func(b *bbolt.Bucket) error { return b.Put([]byte("a"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.View("watchdog", func(b *bbolt.Bucket) error {
		if string(b.Get([]byte("a"))) != "1" {
			return fmt.Errorf("got %q", b.Get([]byte("a")))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateErrorRollsBack(t *testing.T) {
	s, _ := openTemp(t, Options{})
	boom := errors.New("boom")
	err := s.Update("limiter", func(b *bbolt.Bucket) error {
		if err := b.Put([]byte("half"), []byte("done")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update err = %v, want boom", err)
	}
	if err := s.View("limiter", func(*bbolt.Bucket) error { return nil }); !errors.Is(err, ErrNoBucket) {
		t.Fatalf("rolled-back Update left its bucket behind: %v", err)
	}
}

func TestConcurrentUpdatesAndViews(t *testing.T) {
	s, dir := openTemp(t, Options{})
	const writers, perWriter = 4, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				err := s.Update("counts", func(b *bbolt.Bucket) error {
					return b.Put(fmt.Appendf(nil, "%d/%d", w, i), binary.BigEndian.AppendUint64(nil, uint64(i)))
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for range perWriter {
				err := s.View("counts", func(b *bbolt.Bucket) error { return b.ForEach(func(k, v []byte) error { return nil }) })
				if err != nil && !errors.Is(err, ErrNoBucket) {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	_ = s.Close()
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	n := 0
	_ = s2.View("counts", func(b *bbolt.Bucket) error { n = b.Stats().KeyN; return nil })
	if n != writers*perWriter {
		t.Fatalf("%d keys after reopen, want %d", n, writers*perWriter)
	}
}

func TestOpenOSErrorIsNotCorruption(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(filepath.Join(notDir, FileName), Options{})
	if err == nil || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrLocked) {
		t.Fatalf("Open under a file: %v, want a plain I/O error", err)
	}
}

func TestEmptyFileIsInitialized(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("zero-length file: %v", err)
	}
	_ = s.Close()
}
