package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/limiter"
)

// WriteLimiter renders the limiter state as a table, one row per window.
func WriteLimiter(w io.Writer, s adminapi.LimiterStatus, now time.Time) error {
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
