package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prws/prws/adminapi"
)

// WriteDeadLetters renders dead letters as a table, oldest first.
func WriteDeadLetters(w io.Writer, dls []adminapi.DeadLetter, now time.Time) error {
	if len(dls) == 0 {
		_, err := fmt.Fprintln(w, "no dead letters")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tBACKEND\tWHEN\tAGE\tSTATUS\tSAMPLES\tSIZE\tMESSAGE")
	for _, d := range dls {
		status, msg := fmt.Sprint(d.Status), oneLine(d.Message, 100)
		if d.Corrupt != "" {
			status, msg = "corrupt", d.Corrupt
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.Name, backendLabel(d), d.Time.UTC().Format(time.RFC3339),
			age(d.Time, now), status, d.Samples, bytesHuman(d.FileBytes), msg)
	}
	return tw.Flush()
}

func backendLabel(d adminapi.DeadLetter) string {
	if d.Backend == "" {
		return d.BackendID
	}
	return d.Backend
}

// oneLine flattens s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// WriteDeadLetterDetail renders one dead letter: its header, then a
// table of the series shown.
func WriteDeadLetterDetail(w io.Writer, d adminapi.DeadLetterDetail) error {
	fmt.Fprintf(w, "name:      %s\nbackend:   %s (%s)\nwhen:      %s\nstatus:    %d\n",
		d.Name, d.Backend, d.BackendID, d.Time.UTC().Format(time.RFC3339Nano), d.Status)
	fmt.Fprintf(w, "message:   %s\nsamples:   %d in %d series, %d metadata entries\nrecords:   %d..%d of the queue\n",
		oneLine(d.Message, 1024), d.Samples, d.SeriesTotal, d.Metadata, d.First, d.Last)
	if d.Tenant != "" {
		fmt.Fprintf(w, "tenant:    %s\n", d.Tenant)
	}
	fmt.Fprintf(w, "size:      %s body, %s file\n\n", bytesHuman(int64(d.BodyBytes)), bytesHuman(d.FileBytes))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIES\tSAMPLES\tHISTOGRAMS\tFROM\tTO\tLAST VALUE")
	for _, s := range d.Series {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%g\n", s.Labels, s.Samples, s.Histograms,
			timeOrDash(s.MinTime), timeOrDash(s.MaxTime), s.LastValue)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(d.Series) < d.SeriesTotal {
		fmt.Fprintf(w, "... %d more series (--series N shows more)\n", d.SeriesTotal-len(d.Series))
	}
	return nil
}

func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// WriteReplayResult renders the outcome of a replay.
func WriteReplayResult(w io.Writer, r adminapi.ReplayResult) error {
	total := 0
	for _, x := range r.Replayed {
		fmt.Fprintf(w, "re-queued %s (%d samples) for backend %s\n", x.Name, x.Samples, x.To)
		total += x.Samples
	}
	fmt.Fprintf(w, "%d dead letters, %d samples re-queued\n", len(r.Replayed), total)
	return resultErrors(w, r.Errors)
}

// WritePurgeResult renders the outcome of a purge.
func WritePurgeResult(w io.Writer, r adminapi.PurgeResult) error {
	for _, d := range r.Purged {
		fmt.Fprintf(w, "purged %s of %s: %d samples, status %d\n", d.Name, backendLabel(d), d.Samples, d.Status)
	}
	fmt.Fprintf(w, "%d dead letters, %d samples purged\n", len(r.Purged), r.Samples)
	return resultErrors(w, r.Errors)
}

func resultErrors(w io.Writer, errs []string) error {
	for _, e := range errs {
		fmt.Fprintln(w, "error:", e)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d dead letters failed", len(errs))
	}
	return nil
}
