package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/queue"
)

// DeadLetter is one refused batch as the admin API and `prws deadletter
// list` show it: the file's metadata plus the backend directory it is in.
type DeadLetter struct {
	BackendID string `json:"backend_id"`
	deadletter.Meta
}

// DeadLetterLogs are the dead-letter logs of a data dir by backend id.
// Each Log must be safe to use for the caller's process (see
// deadletter/doc.go): the daemon's own, or ones opened on a stopped
// data dir.
type DeadLetterLogs map[string]*deadletter.Log

// ListDeadLetters returns every dead letter of logs, oldest first (ties
// broken by backend id and name).
func ListDeadLetters(logs DeadLetterLogs) ([]DeadLetter, error) {
	var out []DeadLetter
	for id, l := range logs {
		metas, err := l.List()
		if err != nil {
			return nil, err
		}
		for _, m := range metas {
			out = append(out, DeadLetter{BackendID: id, Meta: m})
		}
	}
	slices.SortFunc(out, func(a, b DeadLetter) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.BackendID, b.BackendID), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}

// Selector chooses dead letters for replay or purge. Exactly one of
// Names, All or OlderThan must be set; Backend (an id, already resolved)
// narrows any of them.
type Selector struct {
	Names     []string      `json:"names,omitempty"`
	All       bool          `json:"all,omitempty"`
	OlderThan time.Duration `json:"older_than,omitempty"` // nanoseconds in JSON
	Backend   string        `json:"backend_id,omitempty"`
}

// ErrNoSelection is returned by Select for a Selector that names nothing.
var ErrNoSelection = errors.New("name dead letters, or pass --all or --older-than")

// Select returns the dead letters of all that s chooses, in all's order.
// A name that matches nothing is an error wrapping fs.ErrNotExist; a name
// found under two backends without Backend set is ambiguous.
func (s Selector) Select(all []DeadLetter, now time.Time) ([]DeadLetter, error) {
	set := 0
	for _, b := range []bool{len(s.Names) > 0, s.All, s.OlderThan > 0} {
		if b {
			set++
		}
	}
	if set != 1 {
		return nil, ErrNoSelection
	}
	var out []DeadLetter
	for _, d := range all {
		if s.Backend != "" && d.BackendID != s.Backend {
			continue
		}
		if s.All || (s.OlderThan > 0 && d.Time.Before(now.Add(-s.OlderThan))) {
			out = append(out, d)
		}
	}
	for _, name := range s.Names {
		d, err := s.find(all, name)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (s Selector) find(all []DeadLetter, name string) (DeadLetter, error) {
	var hits []DeadLetter
	for _, d := range all {
		if d.Name == name && (s.Backend == "" || d.BackendID == s.Backend) {
			hits = append(hits, d)
		}
	}
	switch len(hits) {
	case 0:
		return DeadLetter{}, fmt.Errorf("dead letter %s: %w", name, fs.ErrNotExist)
	case 1:
		return hits[0], nil
	}
	return DeadLetter{}, fmt.Errorf("dead letter %s exists for several backends; pass --backend", name)
}

// Appender is the write side of a queue (*queue.Queue).
type Appender interface {
	Append(ctx context.Context, recs []queue.Record) error
}

// ReplayDeadLetter appends the batch of dead letter name in l to q and,
// once it is durable there, removes the dead letter. It returns the
// samples re-queued. A crash between the two steps leaves the batch both
// queued and dead-lettered (delivery is at-least-once anyway); the
// dead letter is never removed before the queue holds its data.
func ReplayDeadLetter(ctx context.Context, l *deadletter.Log, name string, q Appender) (int, error) {
	e, err := l.Read(name)
	if err != nil {
		return 0, err
	}
	recs, samples, err := RecordsOf(e.Body, e.Tenant)
	if err != nil {
		return 0, fmt.Errorf("dead letter %s: %w", name, err)
	}
	if err := q.Append(ctx, recs); err != nil {
		return 0, fmt.Errorf("dead letter %s: re-queue: %w", name, err)
	}
	if err := l.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return samples, fmt.Errorf("dead letter %s: re-queued, but not removed: %w", name, err)
	}
	return samples, nil
}

// ReplayRequest is the body of POST /api/v1/deadletter/replay. To is the
// target backend (id or URL); empty means the backend that refused it.
type ReplayRequest struct {
	Selector
	To string `json:"to,omitempty"`
}

// Replayed is one dead letter moved back into a queue.
type Replayed struct {
	Name      string `json:"name"`
	BackendID string `json:"backend_id"` // where it was
	To        string `json:"to"`         // backend id it was queued for
	Samples   int    `json:"samples"`
}

// ReplayResult answers a replay: what was re-queued and what failed.
type ReplayResult struct {
	Replayed []Replayed `json:"replayed"`
	Errors   []string   `json:"errors,omitempty"`
}

// PurgeResult answers a purge.
type PurgeResult struct {
	Purged  []DeadLetter `json:"purged"`
	Samples int64        `json:"samples"`
	Errors  []string     `json:"errors,omitempty"`
}

// Purge removes the chosen dead letters. A file already gone is not an
// error (another purge or a replay got there first).
func Purge(logs DeadLetterLogs, chosen []DeadLetter) PurgeResult {
	res := PurgeResult{Purged: []DeadLetter{}}
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

// Paths of the dead-letter admin API.
const (
	PathDeadLetter       = "/api/v1/deadletter"
	PathDeadLetterReplay = "/api/v1/deadletter/replay"
	PathDeadLetterPurge  = "/api/v1/deadletter/purge"
)

// ShowDeadLetter reads d from logs and decodes its first limit series.
func ShowDeadLetter(logs DeadLetterLogs, d DeadLetter, limit int) (DeadLetterDetail, error) {
	l, ok := logs[d.BackendID]
	if !ok {
		return DeadLetterDetail{}, fmt.Errorf("dead letter %s: %w", d.Name, fs.ErrNotExist)
	}
	e, err := l.Read(d.Name)
	if err != nil {
		return DeadLetterDetail{}, err
	}
	views, total, meta, err := DecodeSeries(e.Body, limit)
	if err != nil {
		return DeadLetterDetail{}, fmt.Errorf("dead letter %s: %w", d.Name, err)
	}
	return DeadLetterDetail{DeadLetter: d, SeriesTotal: total, Metadata: meta, Series: views}, nil
}
