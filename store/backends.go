package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/prws/prws/internal/redact"
)

// ErrNotFound is returned by DeleteBackend for an id that is not registered.
var ErrNotFound = errors.New("not found")

// BackendRecord is one entry of the backend registry: which queue
// directory (ID, see router.BackendID) belongs to which URL.
type BackendRecord struct {
	// ID is the backend id, the key of the record.
	ID string `json:"id"`
	// URL is the backend URL, redacted: PutBackend passes it through
	// router.Redact, so no credential ever reaches the file.
	URL string `json:"url"`
	// FirstSeen is when this backend was first registered.
	FirstSeen time.Time `json:"first_seen"`
	// LastSeen is when a configuration last included it.
	LastSeen time.Time `json:"last_seen"`
	// Settings are free-form, non-secret per-backend settings (protocol,
	// remote timeout, ...), recorded for operators and the CLI.
	Settings map[string]string `json:"settings,omitempty"`
}

// PutBackend registers or refreshes a backend in one fsynced transaction.
// A zero LastSeen becomes now. FirstSeen keeps the earliest value ever
// recorded for the id (now for a new id with a zero FirstSeen), so calling
// PutBackend at every start is right. rec is not modified.
func (s *Store) PutBackend(rec BackendRecord) error {
	if rec.ID == "" {
		return errors.New("store: PutBackend: empty backend id")
	}
	if rec.URL != "" {
		rec.URL = redact.URL(rec.URL)
	}
	now := s.opts.Now()
	if rec.LastSeen.IsZero() {
		rec.LastSeen = now
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(backendsBucket))
		old, found, err := decodeBackend(b.Get([]byte(rec.ID)))
		if err != nil {
			return fmt.Errorf("store: %s: backend %s: %w", s.path, rec.ID, err)
		}
		rec.FirstSeen = earliest(rec.FirstSeen, old.FirstSeen, found, now)
		v, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("store: encode backend %s: %w", rec.ID, err)
		}
		return b.Put([]byte(rec.ID), v)
	})
}

// earliest picks the FirstSeen to record.
func earliest(given, old time.Time, found bool, now time.Time) time.Time {
	switch {
	case found && !old.IsZero() && (given.IsZero() || old.Before(given)):
		return old
	case given.IsZero():
		return now
	}
	return given
}

// Backends returns every registered backend, sorted by ID. The slice and
// its records belong to the caller.
func (s *Store) Backends() ([]BackendRecord, error) {
	var out []BackendRecord
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(backendsBucket))
		if b == nil {
			return nil // read-only open of a file never initialized
		}
		return b.ForEach(func(k, v []byte) error {
			rec, _, err := decodeBackend(v)
			if err != nil {
				return fmt.Errorf("store: %s: backend %s: %w", s.path, k, err)
			}
			out = append(out, rec)
			return nil
		})
	})
	return out, err
}

// DeleteBackend removes a backend from the registry in one fsynced
// transaction. It returns an error wrapping ErrNotFound if id is not
// registered. It does not touch the backend's queue or dead letters.
func (s *Store) DeleteBackend(id string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(backendsBucket))
		if b.Get([]byte(id)) == nil {
			return fmt.Errorf("store: backend %s: %w", id, ErrNotFound)
		}
		return b.Delete([]byte(id))
	})
}

// decodeBackend decodes a registry value; found is false for nil.
func decodeBackend(v []byte) (BackendRecord, bool, error) {
	if v == nil {
		return BackendRecord{}, false, nil
	}
	var rec BackendRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return BackendRecord{}, true, fmt.Errorf("%w: undecodable registry record: %v", ErrCorrupt, err)
	}
	return rec, true, nil
}
