package store

import (
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"
)

// FormatVersion is the state file format this prws writes and reads.
// Bump it, with a migration in init, when a change of bucket layout or
// value encoding would confuse an older reader.
const FormatVersion uint64 = 1

// Buckets owned by the store; Update and View refuse them.
const (
	metaBucket     = "meta"
	backendsBucket = "backends"
	versionKey     = "format_version"
)

// init creates the owned buckets and checks or records the format version.
// A read-only store only checks.
func (s *Store) init() error {
	if s.opts.ReadOnly {
		return s.db.View(func(tx *bbolt.Tx) error {
			b := tx.Bucket([]byte(metaBucket))
			if b == nil {
				return nil // never written by a read-write open: empty state
			}
			_, err := s.checkVersion(b)
			return err
		})
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{metaBucket, backendsBucket} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("store: %s: create bucket %s: %w", s.path, name, err)
			}
		}
		b := tx.Bucket([]byte(metaBucket))
		found, err := s.checkVersion(b)
		if err != nil || found {
			return err
		}
		return b.Put([]byte(versionKey), binary.BigEndian.AppendUint64(nil, FormatVersion))
	})
}

// checkVersion reports whether a version is recorded and refuses one that
// is newer than FormatVersion or malformed.
func (s *Store) checkVersion(meta *bbolt.Bucket) (bool, error) {
	v := meta.Get([]byte(versionKey))
	if v == nil {
		return false, nil
	}
	if len(v) != 8 {
		return true, fmt.Errorf("%w: %s: format version is %d bytes long, want 8", ErrCorrupt, s.path, len(v))
	}
	if got := binary.BigEndian.Uint64(v); got > FormatVersion {
		return true, fmt.Errorf("%w: %s has format version %d, this prws reads up to %d (upgrade prws or move the file away)",
			ErrNewerFormat, s.path, got, FormatVersion)
	}
	return true, nil
}
