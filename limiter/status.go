package limiter

import (
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Status is the limiter state for the admin API and the CLI.
type Status struct {
	Hour WindowStatus `json:"hour"`
	Day  WindowStatus `json:"day"`
	// Unflushed is the number of admitted series not yet persisted
	// (what a crash now would forget). Always 0 from ReadStatus.
	Unflushed int `json:"unflushed_series"`
}

// WindowStatus describes one window.
type WindowStatus struct {
	Start time.Time `json:"start"` // UTC start of the current window
	End   time.Time `json:"end"`   // exclusive
	// Series is the number of distinct series admitted in the window.
	Series int64 `json:"series"`
	// Limit is the configured limit; 0 means none (and nothing tracked).
	Limit int64 `json:"limit"`
	// RowsDropped and SeriesDropped count refusals by this window since
	// the process started. Always 0 from ReadStatus.
	RowsDropped   uint64 `json:"rows_dropped"`
	SeriesDropped uint64 `json:"series_dropped"`
}

// windowStatus returns the status skeleton of window w at unix second
// start.
func windowStatus(w window, start int64) WindowStatus {
	return WindowStatus{
		Start: time.Unix(start, 0).UTC(),
		End:   time.Unix(start+w.seconds(), 0).UTC(),
	}
}

// Status returns a snapshot of the limiter. Safe for concurrent use; it
// briefly locks each stripe to count unflushed series.
func (l *Limiter) Status() Status {
	now := l.opts.Now()
	var ws [numWindows]WindowStatus
	for w := range numWindows {
		ws[w] = windowStatus(w, w.startOf(now.Unix()))
		if t := l.trk[w]; t != nil {
			start, n := t.usage(now)
			ws[w] = windowStatus(w, start)
			ws[w].Series, ws[w].Limit = n, t.limit
		}
		ws[w].RowsDropped = l.drops[w].rows.Load()
		ws[w].SeriesDropped = l.drops[w].series.Load()
	}
	return Status{Hour: ws[hour], Day: ws[day], Unflushed: l.unflushed()}
}

// unflushed counts pending hashes over all stripes and windows.
func (l *Limiter) unflushed() int {
	n := 0
	for i := range l.stripes {
		s := &l.stripes[i]
		s.mu.Lock()
		for w := range s.w {
			n += len(s.w[w].pending)
		}
		s.mu.Unlock()
	}
	return n
}

// refreshGauges sets the window usage gauges.
func (l *Limiter) refreshGauges() {
	now := l.opts.Now()
	for _, t := range l.active {
		_, n := t.usage(now)
		l.m[t.kind].series.Set(float64(n))
	}
}

// ReadStatus reads the persisted windows current at now from a stopped
// data directory: series counts and the limits last written. Windows
// that have ended read as empty. It only reads (View). An error of View
// is returned wrapped: a caller can tell a data dir in which the limiter
// never ran with errors.Is(err, store.ErrNoBucket).
func ReadStatus(p Persister, now time.Time) (Status, error) {
	var ws [numWindows]WindowStatus
	err := p.View(Bucket, func(b *bbolt.Bucket) error {
		for w := range numWindows {
			ws[w] = readWindow(b, w, w.startOf(now.Unix()))
		}
		return nil
	})
	if err != nil {
		return Status{}, fmt.Errorf("limiter: read status: %w", err)
	}
	return Status{Hour: ws[hour], Day: ws[day]}, nil
}

// readWindow reads window w starting at start from b (which may be nil).
func readWindow(b *bbolt.Bucket, w window, start int64) WindowStatus {
	ws := windowStatus(w, start)
	if b == nil {
		return ws
	}
	wb := b.Bucket([]byte(w.String()))
	if wb == nil {
		return ws
	}
	if v := wb.Get(limitKey); len(v) == 8 {
		ws.Limit = int64(binary.BigEndian.Uint64(v))
	}
	if cb := wb.Bucket(u64(uint64(start))); cb != nil {
		ws.Series = int64(cb.Stats().KeyN)
	}
	return ws
}
