package dataops

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/deadletter"
)

// DeadLetterLogs are the dead-letter logs of a data dir by backend id.
// Each Log must be safe to use for the caller's process (see
// deadletter/doc.go): the daemon's own, or ones opened on a stopped
// data dir.
type DeadLetterLogs map[string]*deadletter.Log

// ListDeadLetters returns every dead letter of logs, oldest first (ties
// broken by backend id and name).
func ListDeadLetters(logs DeadLetterLogs) ([]adminapi.DeadLetter, error) {
	var out []adminapi.DeadLetter
	for id, l := range logs {
		metas, err := l.List()
		if err != nil {
			return nil, err
		}
		for _, m := range metas {
			out = append(out, adminapi.DeadLetter{BackendID: id, Meta: m})
		}
	}
	slices.SortFunc(out, func(a, b adminapi.DeadLetter) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.BackendID, b.BackendID), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}

// Purge removes the chosen dead letters. A file already gone is not an
// error (another purge or a replay got there first).
func Purge(logs DeadLetterLogs, chosen []adminapi.DeadLetter) adminapi.PurgeResult {
	res := adminapi.PurgeResult{Purged: []adminapi.DeadLetter{}}
	for _, d := range chosen {
		l, ok := logs[d.BackendID]
		if !ok {
			res.Errors = append(res.Errors, fmt.Sprintf("%s: no dead-letter log for backend %s", d.Name, d.BackendID))
			continue
		}
		if err := l.Remove(d.Name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			res.Errors = append(res.Errors, err.Error())
			continue
		}
		res.Purged = append(res.Purged, d)
		res.Samples += int64(d.Samples)
	}
	return res
}

// ShowDeadLetter reads d from logs and decodes its first limit series.
func ShowDeadLetter(logs DeadLetterLogs, d adminapi.DeadLetter, limit int) (adminapi.DeadLetterDetail, error) {
	l, ok := logs[d.BackendID]
	if !ok {
		return adminapi.DeadLetterDetail{}, fmt.Errorf("dead letter %s: %w", d.Name, fs.ErrNotExist)
	}
	e, err := l.Read(d.Name)
	if err != nil {
		return adminapi.DeadLetterDetail{}, err
	}
	views, total, meta, err := DecodeSeries(e.Body, limit)
	if err != nil {
		return adminapi.DeadLetterDetail{}, fmt.Errorf("dead letter %s: %w", d.Name, err)
	}
	return adminapi.DeadLetterDetail{DeadLetter: d, SeriesTotal: total, Metadata: meta, Series: views}, nil
}
