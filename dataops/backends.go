package dataops

import (
	"os"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/internal/datadir"
)

// DataDirBackends lists the backends that have a queue or dead-letter
// directory in data, with the URL from backend.json when there is one.
func DataDirBackends(data string) ([]adminapi.BackendRef, error) {
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
	refs := make([]adminapi.BackendRef, len(ids))
	for i, id := range ids {
		refs[i] = adminapi.BackendRef{ID: id}
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
