package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/prws/prws/adminapi"
)

// WriteQueuesTable renders queues as an aligned table, one row per queue.
func WriteQueuesTable(w io.Writer, qs []adminapi.QueueStatus, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BACKEND\tSHARD\tSTATE\tPENDING SAMPLES\tPENDING BYTES\tSEGMENTS\tOLDEST\tBACKEND RATE/s\tBACKEND ETA\tDEAD LETTERS\tCORRUPT\tLAST ERROR")
	for _, q := range qs {
		fmt.Fprintf(tw, "%s\t%04d\t%s\t%d\t%s\t%d\t%s\t%.0f\t%s\t%d\t%d\t%s\n",
			q.Backend, q.Shard, adminapi.State(q), q.PendingSamples, bytesHuman(q.PendingBytes), q.Segments,
			age(q.OldestPending, now), q.SendRate, eta(backendETA(q)), q.DeadLetters, q.Corrupt, lastError(q, now))
	}
	return tw.Flush()
}

// backendETA is q's drain ETA, -1 (shown as "-") while the backend is
// failing: a backend that is down drains nothing, whatever the rate was.
func backendETA(q adminapi.QueueStatus) float64 {
	if !q.Up {
		return -1
	}
	return q.DrainETA
}

// lastError is q's last error with its age, marked as history when a
// send succeeded since.
func lastError(q adminapi.QueueStatus, now time.Time) string {
	if q.LastError == "" {
		return ""
	}
	when := "at an unknown time"
	if !q.LastErrorTime.IsZero() {
		when = age(q.LastErrorTime, now) + " ago"
	}
	if adminapi.Recovered(q) {
		return fmt.Sprintf("(recovered since) %s: %s", when, oneLine(q.LastError, 200))
	}
	return fmt.Sprintf("%s: %s", when, oneLine(q.LastError, 200))
}

func age(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return now.Sub(t).Truncate(time.Second).String()
}

func eta(s float64) string {
	switch {
	case s < 0:
		return "-"
	case s == 0:
		return "0s"
	default:
		return (time.Duration(s * float64(time.Second))).Truncate(time.Second).String()
	}
}

func bytesHuman(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// WriteLoss renders what dropping a backend deletes.
func WriteLoss(w io.Writer, l adminapi.Loss) {
	fmt.Fprintf(w, "backend %s (%s):\n", l.Backend.ID, l.Backend.URL)
	for _, q := range l.Queues {
		fmt.Fprintf(w, "  queue %04d: %d pending samples, %s, oldest %s\n", q.Shard, q.PendingSamples,
			bytesHuman(q.PendingBytes), timeOrDash(q.OldestPending))
	}
	fmt.Fprintf(w, "  dead letters: %d files (%d corrupt), %d samples, %s\n", l.DeadLetters.Files,
		l.DeadLetters.Corrupt, l.DeadLetters.Samples, bytesHuman(l.DeadLetters.Bytes))
	fmt.Fprintf(w, "dropping deletes %d pending samples and %d dead-lettered samples that were never delivered\n",
		l.PendingSamples, l.DeadLetters.Samples)
}
