package adminapi

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/prws/prws/deadletter"
)

// DeadLetter is one refused batch as the admin API and `prws deadletter
// list` show it: the file's metadata plus the backend directory it is in.
type DeadLetter struct {
	BackendID string `json:"backend_id"`
	deadletter.Meta
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

// SeriesView is one series of a dead letter as `prws deadletter show`
// prints it.
type SeriesView struct {
	Labels     string    `json:"labels"`
	Samples    int       `json:"samples"`
	Histograms int       `json:"histograms,omitempty"`
	MinTime    time.Time `json:"min_time,omitzero"`
	MaxTime    time.Time `json:"max_time,omitzero"`
	LastValue  Float     `json:"last_value,omitempty"`
}

// DeadLetterDetail is a dead letter with the first series of its body.
type DeadLetterDetail struct {
	DeadLetter
	SeriesTotal int          `json:"series_total"`
	Metadata    int          `json:"metadata"`
	Series      []SeriesView `json:"series"`
}
