package admin

import (
	"fmt"
	"os"
	"strings"

	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/router"
)

// BackendRef names a backend: its id (directory name) and redacted URL.
type BackendRef struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// ResolveBackend finds arg among refs. arg may be a backend id, the
// redacted URL as prws shows it, or any spelling of the URL (with
// credentials, another case, a default port) that has the same id.
func ResolveBackend(arg string, refs []BackendRef) (BackendRef, error) {
	id, idErr := router.BackendID(arg)
	for _, r := range refs {
		if r.ID == arg || r.URL == arg || (idErr == nil && r.ID == id) {
			return r, nil
		}
	}
	known := make([]string, len(refs))
	for i, r := range refs {
		known[i] = r.ID + " " + r.URL
	}
	return BackendRef{}, fmt.Errorf("no backend %s; known: %s", router.Redact(arg), strings.Join(known, ", "))
}

// DataDirBackends lists the backends that have a queue or dead-letter
// directory in data, with the URL from backend.json when there is one.
func DataDirBackends(data string) ([]BackendRef, error) {
	ids, err := datadir.Backends(data)
	if err != nil {
		return nil, err
	}
	dl, err := datadir.DeadLetterBackends(data)
	if err != nil {
		return nil, err
	}
	for _, id := range dl {
		if _, err := os.Stat(datadir.BackendDir(data, id)); os.IsNotExist(err) {
			ids = append(ids, id)
		}
	}
	refs := make([]BackendRef, len(ids))
	for i, id := range ids {
		refs[i] = BackendRef{ID: id}
		if info, err := datadir.ReadBackendInfo(data, id); err == nil {
			refs[i].URL = info.URL
		}
	}
	return refs, nil
}

// OpenDeadLetterLogs opens the dead-letter log of every backend that has
// a dead-letter directory in data. Only for a stopped data dir: Open
// deletes temporary files, which a running daemon may be writing.
func OpenDeadLetterLogs(data string) (DeadLetterLogs, error) {
	ids, err := datadir.DeadLetterBackends(data)
	if err != nil {
		return nil, err
	}
	logs := make(DeadLetterLogs, len(ids))
	for _, id := range ids {
		l, err := deadletter.Open(datadir.DeadLetterDir(data, id))
		if err != nil {
			return nil, err
		}
		logs[id] = l
	}
	return logs, nil
}
