// Package datadir names the files and directories of a prws data
// directory and reads and writes its small descriptor files.
//
//	DATA/
//	  state.db                           bbolt state (store package)
//	  LOCK                               one process per data dir
//	  queues/<backend-id>/backend.json   the backend a queue belongs to
//	  queues/<backend-id>/<shard>/       one queue, shard as %04d
//	  deadletter/<backend-id>/           batches a backend refused for good
//
// Functions here are pure path arithmetic or single-file operations; they
// keep no state and are safe for concurrent use. Unknown files and
// directories are ignored, never removed.
package datadir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/prws/prws/internal/fsutil"
)

// StatePath is the bbolt state file.
func StatePath(data string) string { return filepath.Join(data, "state.db") }

// QueuesDir holds one directory per backend.
func QueuesDir(data string) string { return filepath.Join(data, "queues") }

// BackendDir holds the shard queues of one backend.
func BackendDir(data, id string) string { return filepath.Join(QueuesDir(data), id) }

// QueueDir is the directory of one (backend, shard) queue.
func QueueDir(data, id string, shard int) string {
	return filepath.Join(BackendDir(data, id), fmt.Sprintf("%04d", shard))
}

// JournalDir holds the queues' shared commit journal (queue.Journal);
// the queue names in it are relative to the data dir.
func JournalDir(data string) string { return filepath.Join(data, "journal") }

// DeadLetterDir holds the dead letters of one backend.
func DeadLetterDir(data, id string) string { return filepath.Join(data, "deadletter", id) }

// BackendInfo is the content of backend.json: which backend a queue
// directory belongs to. URL is redacted; credentials are never on disk.
type BackendInfo struct {
	ID      string    `json:"id"`
	URL     string    `json:"url"`
	Created time.Time `json:"created"`
	Shards  int       `json:"shards"`
	// ShardKey is the --shard_key series are routed among the shards
	// by ("series" or "metric"); empty in files older than the field
	// (read as "series", the default).
	ShardKey string `json:"shard_key,omitempty"`
}

func backendFile(data, id string) string { return filepath.Join(BackendDir(data, id), "backend.json") }

// WriteBackendInfo writes backend.json atomically (temp file, fsync,
// rename, fsync of the directory), creating the backend directory and
// queues/ durably (their parents fsynced).
func WriteBackendInfo(data string, info BackendInfo) error {
	dir := BackendDir(data, info.ID)
	if err := fsutil.MkdirDurable(dir, QueuesDir(data), 0o750); err != nil {
		return err
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(backendFile(data, info.ID), ".tmp", append(b, '\n'), 0o640)
}

// ReadBackendInfo reads backend.json of backend id.
func ReadBackendInfo(data, id string) (BackendInfo, error) {
	var info BackendInfo
	b, err := os.ReadFile(backendFile(data, id))
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("%s: %w", backendFile(data, id), err)
	}
	return info, nil
}

// Backends lists the backend ids that have a queue directory, sorted.
func Backends(data string) ([]string, error) { return listIDs(QueuesDir(data)) }

// DeadLetterBackends lists the backend ids that have a dead-letter
// directory, sorted.
func DeadLetterBackends(data string) ([]string, error) {
	return listIDs(filepath.Join(data, "deadletter"))
}

// listIDs lists the subdirectories of dir named like a backend id,
// sorted; a missing dir has none.
func listIDs(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range ents {
		if e.IsDir() && isBackendID(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// Shards lists the shard numbers that have a queue directory under
// backend id, sorted.
func Shards(data, id string) ([]int, error) {
	ents, err := os.ReadDir(BackendDir(data, id))
	if err != nil {
		return nil, err
	}
	var shards []int
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); e.IsDir() && err == nil && len(e.Name()) == 4 && n >= 0 {
			shards = append(shards, n)
		}
	}
	sort.Ints(shards)
	return shards, nil
}

func isBackendID(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
