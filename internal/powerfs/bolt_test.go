package powerfs

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// openBolt opens a database with prws' options. Only child processes may
// read it (see the package doc); tests here may only create and write it.
func openBolt(t *testing.T, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// putValues commits n keys, one transaction each, with values big enough
// to make bbolt grow and remap its file.
func putValues(t *testing.T, db *bolt.DB, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			return b.Put([]byte(fmt.Sprint(i)), value(i))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func value(i int) []byte { return []byte(fmt.Sprintf("%01000d", i)) }

func countValues(t *testing.T, db *bolt.DB) int {
	t.Helper()
	n := 0
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("b"))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var i int
			if _, err := fmt.Sscan(string(k), &i); err != nil || string(v) != string(value(i)) {
				return fmt.Errorf("key %q holds a wrong value", k)
			}
			n++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBoltCommitSurvivesPowerCut: a process commits bbolt transactions and
// is killed, the power is cut, and a new process finds every committed
// transaction.
func TestBoltCommitSurvivesPowerCut(t *testing.T) {
	dir, fs := MountT(t)
	cmd, _ := startChild(t, "bolt-commit", dir)
	kill(cmd)
	cut(t, fs)
	_, count := startChild(t, "bolt-count", dir)
	if count != "300" {
		t.Fatalf("%s values after the power cut, want 300", count)
	}
}

// TestBoltFileNameNotDurable documents that a bbolt file is lost by a
// power cut unless its directory is fsynced after Open creates it.
func TestBoltFileNameNotDurable(t *testing.T) {
	dir, fs := MountT(t)
	cmd, _ := startChild(t, "bolt-commit-no-dir-sync", dir)
	kill(cmd)
	cut(t, fs)
	wantGone(t, filepath.Join(dir, "state.db"))
}

// boltChild is the body of the bbolt child processes.
func boltChild(t *testing.T, role, dir string) (info string) {
	db := openBolt(t, filepath.Join(dir, "state.db"))
	switch role {
	case "bolt-commit":
		syncDir(t, dir) // bbolt does not make its file's name durable
		putValues(t, db, 300)
	case "bolt-commit-no-dir-sync":
		putValues(t, db, 3)
	case "bolt-count":
		info = fmt.Sprint(countValues(t, db))
		putValues(t, db, 10)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return info
}
