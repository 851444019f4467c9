package admin

import (
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/limiter"
	"github.com/prws/prws/store"
)

// PathLimiter is the admin endpoint of the series limiter's state.
const PathLimiter = "/api/v1/limiter"

// LimiterStatus is the answer of GET /api/v1/limiter and what `prws
// limiter` shows. Enabled is false when no limit is configured (daemon)
// or no window was ever persisted (data dir).
type LimiterStatus struct {
	Enabled bool   `json:"enabled"`
	Source  string `json:"source"` // "daemon" or "data-dir"
	limiter.Status
}

// LimiterFromDataDir reads the persisted limiter windows of a stopped
// data dir at now, opening the state file read-only.
func LimiterFromDataDir(data string, now time.Time) (LimiterStatus, error) {
	out := LimiterStatus{Source: "data-dir"}
	path := datadir.StatePath(data)
	if _, err := os.Stat(path); err != nil {
		return out, fmt.Errorf("no state file: %w", err)
	}
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return out, err
	}
	defer st.Close()
	s, err := limiter.ReadStatus(st, now)
	if errors.Is(err, store.ErrNoBucket) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.Status, out.Enabled = s, s.Hour.Limit > 0 || s.Day.Limit > 0
	return out, nil
}

// WriteLimiter renders the limiter state as a table, one row per window.
func WriteLimiter(w io.Writer, s LimiterStatus, now time.Time) error {
	if !s.Enabled {
		_, err := fmt.Fprintf(w, "series limiter: off (%s)\n", s.Source)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "series limiter (%s)\n", s.Source)
	fmt.Fprintln(tw, "WINDOW\tSTART (UTC)\tENDS IN\tSERIES\tLIMIT\tUSED\tSERIES DROPPED\tSAMPLES DROPPED")
	for _, r := range []struct {
		name string
		ws   limiter.WindowStatus
	}{{"hour", s.Hour}, {"day", s.Day}} {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%d\t%d\n", r.name, r.ws.Start.Format("2006-01-02 15:04"),
			r.ws.End.Sub(now).Truncate(time.Second), r.ws.Series, limitText(r.ws.Limit),
			usedText(r.ws.Series, r.ws.Limit), r.ws.SeriesDropped, r.ws.RowsDropped)
	}
	if s.Source == "daemon" {
		fmt.Fprintf(tw, "unflushed series (lost from the count by a crash now): %d\n", s.Unflushed)
	} else {
		fmt.Fprintln(tw, "drop counts are per process and not persisted; ask a running daemon for them")
	}
	return tw.Flush()
}

func limitText(n int64) string {
	if n <= 0 {
		return "none"
	}
	return fmt.Sprint(n)
}

func usedText(series, limit int64) string {
	if limit <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(series)/float64(limit))
}
