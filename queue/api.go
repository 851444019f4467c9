package queue

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Kind says what a record's payload holds.
type Kind uint8

const (
	// KindSeries: concatenated remote-write 1.0 WriteRequest field-1
	// (TimeSeries) entries, tag and length included.
	KindSeries Kind = 1
	// KindMetadata: concatenated WriteRequest field-3 (MetricMetadata) entries.
	KindMetadata Kind = 2
)

// ErrClosed is returned by Append and NextBatch after Close.
var ErrClosed = errors.New("queue closed")

// Record is one unit appended to a queue.
type Record struct {
	Kind    Kind
	Tenant  string // empty for none
	Samples int    // samples + histograms in Payload
	// Payload is a valid remote-write 1.0 WriteRequest fragment. The
	// queue copies it before Append returns; the caller keeps ownership.
	Payload []byte
}

// Options configures a Queue. The zero value works.
type Options struct {
	SegmentBytes int // default 4 MiB
	Logger       *slog.Logger
	Metrics      *Metrics // may be nil
}

// Metrics are shared by all queues; built once from a Registerer.
type Metrics struct{}

// NewMetrics registers queue metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics { panic("stub") }

// Queue is one durable FIFO of records.
type Queue struct{}

// Open opens or creates the queue in dir, repairing a torn tail first.
func Open(dir string, opts Options) (*Queue, error) { panic("stub") }

// Append makes recs durable (group commit) and blocks until they are
// fsynced or failed. Safe for concurrent use.
func (q *Queue) Append(ctx context.Context, recs []Record) error { panic("stub") }

// Submit is the asynchronous form of Append: it copies recs into the
// next commit group and returns at once. Exactly one value is later sent
// on done: nil once every record is fsynced, or the error that failed the
// group. done must be buffered so the sender never blocks. Safe for
// concurrent use.
func (q *Queue) Submit(recs []Record, done chan<- error) { panic("stub") }

// Batch is a run of consecutive records handed to replay.
type Batch struct {
	First, Last uint64 // record indexes, inclusive
	Tenant      string
	Samples     int
	Records     int
	// Body is the uncompressed remote-write 1.0 WriteRequest: the
	// concatenated payloads. Valid until the next NextBatch call.
	Body []byte
}

// NextBatch blocks until records past the acknowledged cursor exist and
// returns the next batch of at most maxSamples samples (at least one
// record). Only one goroutine may call NextBatch/Ack.
func (q *Queue) NextBatch(ctx context.Context, maxSamples int) (Batch, error) { panic("stub") }

// Ack marks b delivered and advances the cursor.
func (q *Queue) Ack(b Batch) error { panic("stub") }

// Stats is a point-in-time view of a queue.
type Stats struct {
	PendingRecords uint64
	PendingSamples uint64
	PendingBytes   int64
	Segments       int
	OldestPending  time.Time // zero when empty
	Corrupt        uint64    // records skipped since open
}

// Stats reports the queue's backlog. Safe for concurrent use.
func (q *Queue) Stats() Stats { panic("stub") }

// Close flushes and closes the queue.
func (q *Queue) Close() error { panic("stub") }

// Inspect reads the stats of a queue directory without modifying it.
func Inspect(dir string) (Stats, error) { panic("stub") }
