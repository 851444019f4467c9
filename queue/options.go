package queue

import (
	"log/slog"
	"path/filepath"
	"time"
)

// Options configures a Queue. The zero value works; Open applies the
// defaults to a private copy and never writes back into the caller's
// struct.
type Options struct {
	// SegmentBytes is the target size of a wal segment file. It does not
	// change the queue's memory (no segment is kept in memory, see doc.go
	// "Disk and memory"). Smaller segments free disk sooner after
	// acknowledgement; larger ones mean fewer files. Default 4 MiB.
	SegmentBytes int
	// MaxBytes is the on-disk budget of the queue. When its segment files
	// reach it, FullPolicy decides: Submit/Append fail with ErrFull until
	// replay frees space (Block), or the oldest records are dropped
	// (DropOldest). 0 (the default) means unlimited.
	MaxBytes int64
	// FullPolicy is what Submit does at MaxBytes. Default Block: nothing
	// acknowledged is ever dropped, senders get back-pressure. DropOldest
	// keeps accepting and loses the oldest backlog instead; see budget.go.
	FullPolicy FullPolicy
	// Name labels the queue in metrics and logs. Default: the last two
	// elements of the queue directory ("<backend-id>/<shard>").
	Name string
	// Logger receives repair, retirement and cursor messages. Default:
	// discard.
	Logger *slog.Logger
	// Metrics may be nil (no metrics).
	Metrics *Metrics
	// AckFlushInterval is how long an acknowledgement may stay in memory
	// when no next batch persists it. Default 1s. A crash in that window
	// resends the acknowledged batch (at-least-once).
	AckFlushInterval time.Duration
	// BatchLinger is how long NextBatch may hold back a batch that is not
	// full (fewer than maxSamples samples durable past the cursor),
	// waiting for more records: fewer, fuller batches cost less per
	// sample on both ends (one cursor fsync and one request per batch),
	// at the price of up to this much delivery delay while the queue is
	// caught up. A backlog is never held back. Default 0: a batch is
	// formed from whatever is durable.
	BatchLinger time.Duration
	// TruncateSegments is how many whole acknowledged segments accumulate
	// before they are removed; removal copies the segment holding the
	// cursor, so this bounds that write amplification. Default 4.
	TruncateSegments int
	// IdleRelease is how long a queue must see no Submit (its write
	// side) or no new record (its NextBatch) before it frees the buffers
	// it keeps for the next group or batch: commit groups, the wal's
	// write buffer and read window, the batch join buffer. An idle queue
	// then holds a few KiB; a busy one keeps them, so a steady or
	// draining queue does not allocate them again. Default 5s.
	IdleRelease time.Duration
	// CommitCycle, when set, is shared with other queues so that their
	// group commits are written and fsynced together, in cycles (see
	// CommitCycle): fewer, larger groups when a request's records go to
	// many queues. nil (the default): the queue commits on its own, as
	// soon as the previous group is fsynced.
	CommitCycle *CommitCycle
	// Journal, when set, is shared with other queues under its root: the
	// queue writes its groups to its wal without an fsync and makes them
	// durable with one fsync of the journal for every queue's groups at
	// once (see Journal). nil (the default): each group is fsynced in the
	// queue's own wal.
	Journal *Journal
}

const (
	defaultSegmentBytes     = 4 << 20
	defaultAckFlush         = time.Second
	defaultTruncateSegments = 4
	defaultIdleRelease      = 5 * time.Second
)

// withDefaults returns a copy of o with the defaults applied for dir.
func (o Options) withDefaults(dir string) Options {
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = defaultSegmentBytes
	}
	if o.Name == "" {
		o.Name = defaultName(dir)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Logger = o.Logger.With("queue", o.Name)
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.AckFlushInterval <= 0 {
		o.AckFlushInterval = defaultAckFlush
	}
	if o.TruncateSegments <= 0 {
		o.TruncateSegments = defaultTruncateSegments
	}
	if o.IdleRelease <= 0 {
		o.IdleRelease = defaultIdleRelease
	}
	return o
}

// defaultName is the last two path elements of dir.
func defaultName(dir string) string {
	clean := filepath.Clean(dir)
	parent := filepath.Base(filepath.Dir(clean))
	return filepath.ToSlash(filepath.Join(parent, filepath.Base(clean)))
}
