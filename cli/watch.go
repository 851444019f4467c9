package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prws/prws/adminapi"
)

// Watch turns successive queue snapshots into per-backend drain progress:
// the backlog against the largest seen since the watch started, the net
// drain rate (backlog shrinking per second, incoming data included) and
// the ETA it implies. Not safe for concurrent use.
type Watch struct {
	peak map[string]uint64
	prev map[string]uint64
	rate map[string]float64 // EWMA of the net drain rate, samples/s
	at   time.Time
}

// WatchRow is one backend in a frame.
type WatchRow struct {
	Backend     string
	State       string
	Shards      int
	Pending     uint64
	Bytes       int64
	Oldest      time.Time
	Peak        uint64
	SendRate    float64 // samples/s sent, the backend's, from the daemon (as in prws queues)
	DrainRate   float64 // net samples/s the backlog shrinks (negative: grows)
	ETA         float64 // seconds; -1 unknown or growing
	DeadLetters int
	LastError   string
}

// NewWatch starts a watch.
func NewWatch() *Watch {
	return &Watch{peak: map[string]uint64{}, prev: map[string]uint64{}, rate: map[string]float64{}}
}

// Update folds a snapshot taken at now into the watch and returns one
// row per backend, in snapshot order.
func (w *Watch) Update(qs []adminapi.QueueStatus, now time.Time) []WatchRow {
	rows := groupByBackend(qs, now)
	dt := now.Sub(w.at).Seconds()
	for i := range rows {
		r := &rows[i]
		w.peak[r.Backend] = max(w.peak[r.Backend], r.Pending)
		r.Peak = w.peak[r.Backend]
		if prev, ok := w.prev[r.Backend]; ok && dt > 0 {
			inst := (float64(prev) - float64(r.Pending)) / dt
			w.rate[r.Backend] = 0.5*w.rate[r.Backend] + 0.5*inst
		}
		w.prev[r.Backend] = r.Pending
		r.DrainRate = w.rate[r.Backend]
		r.ETA = adminapi.ETA(r.Pending, r.DrainRate)
		if r.State == "failing" {
			r.ETA = -1
		}
	}
	w.at = now
	return rows
}

// groupByBackend sums the shards of each backend.
func groupByBackend(qs []adminapi.QueueStatus, now time.Time) []WatchRow {
	var rows []WatchRow
	idx := map[string]int{}
	for _, q := range qs {
		i, ok := idx[q.BackendID]
		if !ok {
			i = len(rows)
			idx[q.BackendID] = i
			// SendRate, DeadLetters and the last error are the backend's,
			// repeated on each shard: taken once, never summed.
			rows = append(rows, WatchRow{Backend: q.Backend, State: adminapi.State(q), DeadLetters: q.DeadLetters,
				SendRate: q.SendRate, LastError: lastError(q, now)})
		}
		r := &rows[i]
		r.Shards++
		r.Pending += q.PendingSamples
		r.Bytes += q.PendingBytes
		if !q.OldestPending.IsZero() && (r.Oldest.IsZero() || q.OldestPending.Before(r.Oldest)) {
			r.Oldest = q.OldestPending
		}
	}
	return rows
}

// Progress is the drained fraction of the peak backlog, 0..1.
func (r WatchRow) Progress() float64 {
	if r.Peak == 0 {
		return 1
	}
	return 1 - float64(r.Pending)/float64(r.Peak)
}

// Bar draws p (0..1) as a bar of width cells.
func Bar(p float64, width int) string {
	p = min(max(p, 0), 1)
	n := int(p*float64(width) + 0.5)
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

// WriteWatchFrame renders one frame: a title line, then per backend a
// progress bar of the drain, backlog, rates, ETA, dead letters and the
// last error.
func WriteWatchFrame(w io.Writer, source string, rows []WatchRow, now time.Time) error {
	fmt.Fprintf(w, "prws queues — %s — %s\n\n", source, now.Format("15:04:05"))
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "no queues")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BACKEND\tSTATE\tDRAINED\t\tPENDING\tBYTES\tOLDEST\tSENT/s\tDRAIN/s\tETA\tDEAD")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%3.0f%%\t%d\t%s\t%s\t%.0f\t%s\t%s\t%d\n", r.Backend, r.State,
			Bar(r.Progress(), 24), 100*r.Progress(), r.Pending, bytesHuman(r.Bytes), age(r.Oldest, now),
			r.SendRate, signedRate(r.DrainRate), eta(r.ETA), r.DeadLetters)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if r.LastError != "" {
			fmt.Fprintf(w, "%s: last error: %s\n", r.Backend, oneLine(r.LastError, 160))
		}
	}
	return nil
}

func signedRate(r float64) string {
	if r < 0 {
		return fmt.Sprintf("%.0f (growing)", r)
	}
	return fmt.Sprintf("%.0f", r)
}
