package queue

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// maxScan bounds the records one batch may span (skipped ones included),
// so a long run of tombstones is crossed in bounded steps.
const maxScan = 1 << 16

// errUnavailable reports that the log is retired and not reopened yet;
// NextBatch waits for the reopen.
var errUnavailable = errors.New("log unavailable")

// Batch is a run of consecutive records handed to replay.
type Batch struct {
	First, Last uint64 // record indexes, inclusive
	Tenant      string
	Samples     int
	Records     int // delivered records; skipped (corrupt) ones are not counted
	// StartTimestamps is set when a record of the batch carries start
	// timestamp fields (FlagStart, see KindSeriesST): a 1.0 backend must
	// be sent the batch without them.
	StartTimestamps bool
	// More is set when a durable record was left for the next batch
	// because this one was full (maxSamples, the largest block, another
	// tenant): the queue has a backlog beyond the batch. A batch resent
	// with its bounds fixed (after a restart) does not say.
	More bool
	// Waiting is how many samples were durable past the batch when it
	// was read: the backlog behind it, from the cumulative counters
	// (records skipped later as corrupt included).
	Waiting uint64
	// Split is the sub-batch that was in flight when the batch was last
	// handed out, as recorded with SetSplit; zero for a new batch or one
	// whose split was never recorded.
	Split Split
	// Snappy is the batch's remote-write 1.0 WriteRequest (the
	// concatenated record payloads) as one snappy block, ready to send:
	// the records' stored blocks joined under one length header, never
	// decompressed or compressed again (join.go). AppendBody decompresses
	// it. It is owned by the queue and valid until the next NextBatch
	// call.
	Snappy []byte

	parts   []part // the records' elements in Snappy, for AppendBody
	cumLast uint64 // cumulative samples through the last delivered record
}

// NextBatch blocks until records past the acknowledged cursor are durable
// (or ctx ends, or the queue closes: ErrClosed) and returns the next
// batch: consecutive records from the cursor with the tenant of the
// first, stopping before the record that would push the batch past
// maxSamples (a record counts at least 1; a batch has at least one
// record). Corrupt records and tombstones are skipped and counted. The
// batch bounds are fsynced to the cursor file before NextBatch returns;
// until Ack, and after a crash, NextBatch returns exactly these bounds
// again. With Options.BatchLinger, a batch that would hold fewer than
// maxSamples samples is formed only once that long has passed since
// NextBatch first saw records pending, or once enough are durable (see
// lingerLeft). Only one goroutine may call NextBatch and Ack.
func (q *Queue) NextBatch(ctx context.Context, maxSamples int) (Batch, error) {
	maxSamples = max(maxSamples, 1)
	var since time.Time
	for {
		select {
		case <-q.stop:
			return Batch{}, ErrClosed
		default:
		}
		if wait := q.lingerLeft(maxSamples, &since); wait > 0 {
			if err := q.waitAppended(ctx, wait); err != nil {
				return Batch{}, err
			}
			continue
		}
		b, ok, err := q.formBatch(maxSamples)
		if err != nil || ok {
			return b, err
		}
		if err := q.waitAppended(ctx, 0); err != nil {
			return Batch{}, err
		}
	}
}

// lingerLeft returns how much longer NextBatch should wait before forming
// a short batch: zero without Options.BatchLinger, with nothing pending,
// with a batch in flight (its bounds are fixed), once maxSamples samples
// are durable past the cursor, or once the linger has passed since
// *since, the first time records were seen pending (set here).
func (q *Queue) lingerLeft(maxSamples int, since *time.Time) time.Duration {
	linger := q.opts.BatchLinger
	if linger <= 0 {
		return 0
	}
	q.curMu.Lock()
	cur, cumAcked := q.cur, q.cumAcked
	q.curMu.Unlock()
	q.mu.Lock()
	durable, cumDurable := q.durable, q.cumDurable
	q.mu.Unlock()
	if cur.inflight() || durable <= cur.acked || cumDurable >= cumAcked+uint64(maxSamples) {
		return 0
	}
	now := time.Now()
	if since.IsZero() {
		*since = now
	}
	return max(linger-now.Sub(*since), 0)
}

// waitAppended blocks until records are appended, wait passes (when
// positive), ctx ends (its error) or the queue closes (ErrClosed). An
// unbounded wait frees the join buffer once it has lasted
// Options.IdleRelease.
func (q *Queue) waitAppended(ctx context.Context, wait time.Duration) error {
	var timeout, idle <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	} else {
		t := time.NewTimer(q.opts.IdleRelease)
		defer t.Stop()
		idle = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-q.stop:
			return ErrClosed
		case <-q.appended:
		case <-timeout:
		case <-idle:
			q.join.release()
			idle = nil
			continue
		}
		return nil
	}
}

// formBatch forms, persists and returns the next batch; ok is false when
// nothing is pending. Runs of skipped records are passed over.
func (q *Queue) formBatch(maxSamples int) (b Batch, ok bool, err error) {
	for {
		q.curMu.Lock()
		cur := q.cur
		q.curMu.Unlock()
		q.mu.Lock()
		durable, cumDurable := q.durable, q.cumDurable
		q.mu.Unlock()

		pinned := cur.inflight() && cur.last <= durable
		limit := durable
		b = Batch{First: cur.acked + 1}
		if pinned {
			limit = cur.last
		} else if cur.acked >= durable {
			q.maybeTruncateEvery(truncateEvery)
			return Batch{}, false, nil
		}
		err = q.collect(&b, limit, maxSamples, pinned)
		if errors.Is(err, errUnavailable) {
			return Batch{}, false, nil
		}
		if err != nil {
			return Batch{}, false, fmt.Errorf("queue %s: read: %w", q.opts.Name, err)
		}
		if b.Records == 0 {
			q.skipTo(b.Last)
			continue
		}
		if err := q.startInflight(&b); err != nil {
			return Batch{}, false, err
		}
		b.Waiting = cumDurable - min(b.cumLast, cumDurable)
		q.maybeTruncateEvery(truncateEvery)
		return b, true, nil
	}
}

// collect reads records b.First..limit into b, joining their stored
// payloads into one snappy block (join.go). Unless pinned (bounds fixed
// by the cursor), it stops before a record of another tenant or one that
// would exceed maxSamples or the largest block. A payload whose block
// header does not parse is skipped like a corrupt record.
func (q *Queue) collect(b *Batch, limit uint64, maxSamples int, pinned bool) error {
	q.readMu.Lock()
	defer q.readMu.Unlock()
	l := q.wlog
	if l == nil {
		return errUnavailable
	}
	j := &q.join
	j.reset(maxSamples)
	weight := 0
	for i := b.First; i <= limit && (pinned || i-b.First < maxScan); i++ {
		e, ok, err := readEnvelope(l, i)
		if err != nil {
			return err
		}
		var n uint64
		var header int
		if ok {
			n, header, err = decodedLen(&e)
		}
		if !ok || err != nil {
			q.corruptSkipped(i, &e, err)
			b.Last = i
			continue
		}
		w := max(int(e.Samples), 1)
		if b.Records > 0 && (!j.fits(n) || !pinned && (string(e.Tenant) != b.Tenant || weight+w > maxSamples)) {
			b.More = true
			break
		}
		j.add(&e, n, header)
		if b.Records == 0 {
			b.Tenant = string(e.Tenant) // e's slices last until the next read
		}
		b.Records++
		b.StartTimestamps = b.StartTimestamps || e.StartTimestamps()
		b.Samples += int(e.Samples)
		weight += w
		b.Last, b.cumLast = i, e.CumSamples
	}
	j.note(b.Samples)
	b.Snappy, b.parts = j.block()
	return nil
}

// skipTo acknowledges a run of skipped records up to last (in memory; the
// flusher or the next batch persists it).
func (q *Queue) skipTo(last uint64) {
	q.curMu.Lock()
	q.cur = cursorState{acked: last}
	q.curMu.Unlock()
	signal(q.acked)
}

// startInflight records b as the batch in flight and persists it together
// with any pending acknowledgement (one fsync). A batch resent with the
// bounds already in flight keeps, and gets in b.Split, their split.
func (q *Queue) startInflight(b *Batch) error {
	q.curMu.Lock()
	defer q.curMu.Unlock()
	select {
	case <-q.stop: // Close may have closed the cursor file
		return ErrClosed
	default:
	}
	if b.First != q.cur.first || b.Last != q.cur.last {
		q.cur.split = Split{} // a split belongs to its batch's bounds only
	}
	q.cur.first, q.cur.last = b.First, b.Last
	b.Split = q.cur.split
	if err := q.persistLocked(); err != nil {
		return fmt.Errorf("queue %s: %w", q.opts.Name, err)
	}
	return nil
}

// Ack marks b (the batch in flight) delivered and advances the cursor in
// memory; the next NextBatch persists it with the next bounds, or the
// flusher after Options.AckFlushInterval, or Close. It does not block on
// the disk. Only the NextBatch goroutine may call it.
func (q *Queue) Ack(b Batch) error {
	q.curMu.Lock()
	defer q.curMu.Unlock()
	if err := q.inflightLocked(b, "ack"); err != nil {
		return err
	}
	q.cur = cursorState{acked: b.Last}
	q.cumAcked = b.cumLast
	signal(q.acked)
	return nil
}

// inflightLocked returns ErrClosed after Close, an error wrapping
// ErrAckMismatch (naming what, the caller's operation) when b is not the
// batch in flight, else nil. Callers hold curMu.
func (q *Queue) inflightLocked(b Batch, what string) error {
	select {
	case <-q.stop:
		return ErrClosed
	default:
	}
	if !q.cur.inflight() || b.First != q.cur.first || b.Last != q.cur.last {
		return fmt.Errorf("queue %s: %w: %s %d..%d, in flight %d..%d",
			q.opts.Name, ErrAckMismatch, what, b.First, b.Last, q.cur.first, q.cur.last)
	}
	return nil
}

// persist writes the cursor if it changed since the last write.
func (q *Queue) persist() error {
	q.curMu.Lock()
	defer q.curMu.Unlock()
	return q.persistLocked()
}

// persistLocked writes q.cur unless the file already holds it. Callers
// hold curMu.
func (q *Queue) persistLocked() error {
	if q.cur == q.saved {
		return nil
	}
	if err := q.cursor.write(q.cur); err != nil {
		return err
	}
	q.saved = q.cur
	return nil
}

// ackFlusher persists an acknowledgement that no next batch persisted
// within AckFlushInterval, then lets truncation run.
func (q *Queue) ackFlusher() {
	defer q.wg.Done()
	t := time.NewTimer(q.opts.AckFlushInterval)
	t.Stop()
	for {
		select {
		case <-q.stop:
			t.Stop()
			return
		case <-q.acked:
			t.Reset(q.opts.AckFlushInterval)
		case <-t.C:
			if err := q.persist(); err != nil {
				q.log.Error("persisting the cursor failed", "err", err)
				continue
			}
			q.maybeTruncate()
		}
	}
}
