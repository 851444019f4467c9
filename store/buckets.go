package store

import (
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

var (
	// ErrNoBucket is returned by View for a bucket no Update has created
	// yet. Callers usually treat it as "empty".
	ErrNoBucket = errors.New("bucket does not exist")
	// ErrReservedBucket is returned by Update and View for a bucket the
	// store owns (its registry and metadata), and for an empty name.
	ErrReservedBucket = errors.New("bucket name is reserved")
)

// Update runs fn in one read-write transaction on bucket, creating the
// bucket if needed. If fn returns an error the transaction is rolled back
// and that error is returned (wrapped); otherwise it is committed and
// fsynced before Update returns. Update calls are serialized and block
// while another Update runs. fn must not keep b or any slice it returns
// after it returns, and must not call the Store.
func (s *Store) Update(bucket string, fn func(b *bbolt.Bucket) error) error {
	if err := checkName(bucket); err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			return fmt.Errorf("store: %s: create bucket %s: %w", s.path, bucket, err)
		}
		return fn(b)
	})
}

// View runs fn in a read-only transaction on bucket. It returns an error
// wrapping ErrNoBucket, without calling fn, if the bucket does not exist.
// Views run concurrently with each other and with an Update, and see the
// state of the last committed Update. The memory rules of Update apply.
func (s *Store) View(bucket string, fn func(b *bbolt.Bucket) error) error {
	if err := checkName(bucket); err != nil {
		return err
	}
	return s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return fmt.Errorf("store: %s: %w: %s", s.path, ErrNoBucket, bucket)
		}
		return fn(b)
	})
}

func checkName(bucket string) error {
	switch bucket {
	case "", metaBucket, backendsBucket:
		return fmt.Errorf("store: %w: %q", ErrReservedBucket, bucket)
	}
	return nil
}
