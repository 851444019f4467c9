package dataops

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/internal/fsutil"
	"github.com/prws/prws/internal/redact"
	"github.com/prws/prws/router"
	"github.com/prws/prws/store"
)

// The functions of this file change a stopped data dir. The caller must
// hold its LOCK for their whole run, so that no daemon opens the queues
// meanwhile.

// BackendLoss computes what dropping backend ref would delete, reading
// without changing anything.
func BackendLoss(data string, ref adminapi.BackendRef) (adminapi.Loss, error) {
	loss := adminapi.Loss{Backend: ref, Queues: []adminapi.QueueStatus{}}
	if _, err := os.Stat(datadir.BackendDir(data, ref.ID)); err == nil {
		qs, err := backendQueues(data, ref.ID, nil)
		if err != nil {
			return loss, err
		}
		loss.Queues = qs
		for _, q := range qs {
			loss.PendingSamples += q.PendingSamples
			loss.PendingBytes += q.PendingBytes
		}
	}
	dir := datadir.DeadLetterDir(data, ref.ID)
	if _, err := os.Stat(dir); err == nil {
		l, err := deadletter.Open(dir)
		if err != nil {
			return loss, err
		}
		if loss.DeadLetters, err = l.Stats(); err != nil {
			return loss, err
		}
	}
	return loss, nil
}

// DropBackend deletes the queues and dead letters of backend id and its
// registry entry. Each directory is first renamed to a hidden name (which
// the daemon ignores) and the rename made durable, so a crash midway
// never leaves half a queue behind for the next start to open; a hidden
// leftover is removed by the next drop of any backend.
func DropBackend(data, id string) error {
	for _, dir := range []string{datadir.BackendDir(data, id), datadir.DeadLetterDir(data, id)} {
		if err := removeDir(dir); err != nil {
			return err
		}
	}
	return forgetBackend(data, id)
}

// removeDir renames dir to .dropped-<name> in its parent, fsyncs the
// parent and deletes the renamed tree. A missing dir is not an error.
func removeDir(dir string) error {
	parent := filepath.Dir(dir)
	hidden := filepath.Join(parent, ".dropped-"+filepath.Base(dir))
	if err := os.RemoveAll(hidden); err != nil {
		return err
	}
	if err := os.Rename(dir, hidden); errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if err := fsutil.SyncDir(parent); err != nil {
		return err
	}
	return os.RemoveAll(hidden)
}

// forgetBackend removes id from the state file's backend registry; an id
// that is not registered, or no state file, is fine.
func forgetBackend(data, id string) error {
	st, err := openState(data)
	if err != nil || st == nil {
		return err
	}
	defer st.Close()
	if err := st.DeleteBackend(id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

func openState(data string) (*store.Store, error) {
	path := datadir.StatePath(data)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return nil, nil
	}
	return store.Open(path, store.Options{})
}

// LastConfigured returns the backend ids the last daemon run registered:
// those whose registry LastSeen is within a minute of the newest one
// (every start registers all its backends at once). nil when the state
// file holds no registry.
func LastConfigured(data string) (map[string]bool, error) {
	path := datadir.StatePath(data)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return nil, nil
	}
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	recs, err := st.Backends()
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	var newest time.Time
	for _, r := range recs {
		if r.LastSeen.After(newest) {
			newest = r.LastSeen
		}
	}
	out := map[string]bool{}
	for _, r := range recs {
		if newest.Sub(r.LastSeen) < time.Minute {
			out[r.ID] = true
		}
	}
	return out, nil
}

// MoveBackend gives the queues and dead letters of backend from to the
// backend at newURL: the directories are renamed to the new id and
// backend.json rewritten, so the next start drains them to newURL. It
// refuses when the new id already has a directory.
func MoveBackend(data string, from adminapi.BackendRef, newURL string) (adminapi.BackendRef, error) {
	id, err := router.BackendID(newURL)
	if err != nil {
		return adminapi.BackendRef{}, err
	}
	to := adminapi.BackendRef{ID: id, URL: redact.URL(newURL)}
	if id == from.ID {
		return to, fmt.Errorf("%s and %s are the same backend (id %s): nothing to move", from.URL, to.URL, id)
	}
	for _, dir := range []string{datadir.BackendDir(data, id), datadir.DeadLetterDir(data, id)} {
		if _, err := os.Stat(dir); err == nil {
			return to, fmt.Errorf("%s already exists (a daemon ran with %s); drop it first if it holds nothing you need", dir, to.URL)
		}
	}
	info, err := datadir.ReadBackendInfo(data, from.ID)
	if err != nil {
		return to, err
	}
	if err := renameDir(datadir.BackendDir(data, from.ID), datadir.BackendDir(data, id)); err != nil {
		return to, err
	}
	info.ID, info.URL = id, to.URL
	if err := datadir.WriteBackendInfo(data, info); err != nil {
		return to, err
	}
	if err := renameDir(datadir.DeadLetterDir(data, from.ID), datadir.DeadLetterDir(data, id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return to, err
	}
	return to, forgetBackend(data, from.ID)
}

func renameDir(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return err
	}
	return fsutil.SyncDir(filepath.Dir(to))
}
