package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// FullPolicy is what Submit does when a queue has reached Options.MaxBytes.
type FullPolicy uint8

const (
	// Block fails Submit with ErrFull (the sender gets 503 and retries)
	// until replay frees space. Nothing acknowledged is ever dropped.
	Block FullPolicy = iota
	// DropOldest makes room by dropping the oldest whole segments past the
	// acknowledged cursor, then accepts the records. The batch replay has
	// in flight is kept (see makeRoom); so is the tail segment being
	// written. Replay must read the queue through its Consumer. Every drop is counted (dropped samples and records
	// metrics) and logged at Warn with the samples and the append-time
	// range lost.
	DropOldest
)

// ParseFullPolicy parses "block" or "drop-oldest".
func ParseFullPolicy(s string) (FullPolicy, error) {
	switch s {
	case "block", "":
		return Block, nil
	case "drop-oldest":
		return DropOldest, nil
	}
	return Block, fmt.Errorf("unknown queue full policy %q (want block or drop-oldest)", s)
}

// String returns the flag spelling of p.
func (p FullPolicy) String() string {
	if p == DropOldest {
		return "drop-oldest"
	}
	return "block"
}

// budgetState coordinates DropOldest drops with the replay worker.
type budgetState struct {
	// dropMu serialises makeRoom calls; taken before formMu.
	dropMu sync.Mutex
	// formMu is held by Consumer.NextBatch for the whole call and tried
	// by makeRoom: a drop never runs while a batch is being formed from
	// a cursor it would move.
	formMu sync.Mutex
	// consumed is set once a Consumer has asked for a batch: from then
	// on the cursor's in-flight bounds are held by a worker. Guarded by
	// formMu.
	consumed bool
	// kept is the in-flight batch a drop moved the cursor past; its Ack
	// is answered nil. Guarded by curMu.
	kept cursorState
}

// Consumer is the replay side of a Queue for its one worker: NextBatch
// and Ack, coordinated with DropOldest drops. A queue with the DropOldest
// policy must be read through its Consumer (the queue's own NextBatch and
// Ack do not tell a drop that a worker holds the batch in flight). Same
// contract as Queue.NextBatch and Queue.Ack: one goroutine.
type Consumer struct{ q *Queue }

// Consumer returns q's replay side.
func (q *Queue) Consumer() *Consumer { return &Consumer{q: q} }

// NextBatch is Queue.NextBatch; no drop runs while it forms a batch.
func (c *Consumer) NextBatch(ctx context.Context, maxSamples int) (Batch, error) {
	bs := &c.q.budget
	bs.formMu.Lock()
	defer bs.formMu.Unlock()
	bs.consumed = true
	return c.q.NextBatch(ctx, maxSamples)
}

// Ack is Queue.Ack, except that the Ack of an in-flight batch a drop
// moved the cursor past returns nil (the cursor is already beyond it).
func (c *Consumer) Ack(b Batch) error {
	q := c.q
	err := q.Ack(b)
	if errors.Is(err, ErrAckMismatch) {
		q.curMu.Lock()
		kept := q.budget.kept
		if kept.inflight() && kept.first == b.First && kept.last == b.Last {
			q.budget.kept, err = cursorState{}, nil
		}
		q.curMu.Unlock()
	}
	return err
}

// drop describes one drop: indexes first..last and their samples, and
// the append times of the first and last valid record among them.
type drop struct {
	first, last uint64
	samples     uint64
	from, to    time.Time
	kept        cursorState // the in-flight batch the worker keeps delivering
}

// makeRoom drops the oldest pending segments so that the forming group
// plus incoming bytes fit under MaxBytes. It drops whole segments only,
// never the tail segment and never a record that is not fsynced. The
// batch the replay worker holds in flight is not dropped: the worker
// keeps it in memory, delivers it and acknowledges it (Consumer.Ack
// answers nil; the cursor is already past it); its samples are not
// counted as dropped. When a Consumer is forming a batch, or no whole
// segment can go, it does nothing and Submit answers ErrFull. Safe for
// concurrent use; drops are serialised with truncation.
//
// A crash after a drop that removed the in-flight batch's segment and
// before that batch is delivered loses that batch too (at most one batch
// of --batch samples per queue), uncounted; the drop's log line names
// it.
func (q *Queue) makeRoom(incoming int) {
	bs := &q.budget
	bs.dropMu.Lock()
	defer bs.dropMu.Unlock()
	if q.roomFor(incoming) {
		return // another submit made room meanwhile
	}
	if !bs.formMu.TryLock() {
		// The worker is forming a batch or waiting for one: what fills
		// the budget then is mostly acknowledged, so free that.
		if err := q.persist(); err == nil {
			q.maybeTruncate()
		}
		return
	}
	defer bs.formMu.Unlock()
	q.truncMu.Lock()
	defer q.truncMu.Unlock()
	q.mu.Lock()
	need := q.diskBytes.Load() + int64(q.next.bytes) + int64(incoming) - q.opts.MaxBytes + 1
	durable := q.durable
	q.mu.Unlock()
	if need <= 0 {
		return // another submit made room meanwhile
	}
	segs, err := q.segments()
	if err != nil {
		q.log.Warn("listing segments to make room failed", "err", err)
		return
	}
	target := dropTarget(segs, durable, need)
	if target == 0 {
		return
	}
	d, ok := q.advancePast(target-1, bs.consumed)
	if !ok {
		return
	}
	q.truncateFront(target, segs)
	q.reportDrop(d)
}

// roomFor reports whether the forming group plus incoming bytes fit
// under MaxBytes.
func (q *Queue) roomFor(incoming int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.diskBytes.Load()+int64(q.next.bytes)+int64(incoming) < q.opts.MaxBytes
}

// dropTarget returns the first index of the oldest segment to keep so
// that the segments before it sum to at least need bytes, or 0 when that
// would take the tail segment or a segment reaching past durable.
func dropTarget(segs []segFile, durable uint64, need int64) uint64 {
	var freed int64
	for k := 1; k < len(segs) && segs[k].index <= durable; k++ {
		freed += segs[k-1].size
		if freed >= need {
			return segs[k].index
		}
	}
	return 0
}

// advancePast moves the acknowledged cursor to last (or past the batch a
// worker holds in flight, if that ends later) and persists it, returning
// what was dropped. held says whether in-flight bounds are held by a
// worker (else they were loaded from the cursor file and nobody holds
// them: they are dropped like the rest). ok is false when nothing
// changed (the log is retired, the cursor is already there, or writing
// it failed). Callers hold formMu.
func (q *Queue) advancePast(last uint64, held bool) (d drop, ok bool) {
	q.curMu.Lock()
	defer q.curMu.Unlock()
	cur := q.cur
	d = drop{first: cur.acked + 1, last: last}
	if held && cur.inflight() {
		d.kept, d.first, d.last = cur, cur.last+1, max(last, cur.last)
	}
	if d.last <= cur.acked {
		return drop{}, false
	}
	oldCum := q.cumAcked
	newCum, ok := q.measureDrop(&d, oldCum)
	if !ok {
		return drop{}, false
	}
	q.cur, q.cumAcked = cursorState{acked: d.last}, newCum
	if err := q.persistLocked(); err != nil {
		q.cur, q.cumAcked = cur, oldCum
		q.log.Error("persisting the cursor for a drop failed; nothing dropped", "err", err)
		return drop{}, false
	}
	if d.kept.inflight() {
		q.budget.kept = d.kept
	}
	return d, true
}

// measureDrop fills d's samples and time range from the log and returns
// the cumulative sample count through d.last; cumAcked is the count
// through the acknowledged cursor. ok is false while the log is retired.
// Callers hold curMu.
func (q *Queue) measureDrop(d *drop, cumAcked uint64) (cumLast uint64, ok bool) {
	q.readMu.Lock()
	defer q.readMu.Unlock()
	l := q.wlog
	if l == nil {
		return 0, false
	}
	cumLast = walCumThrough(l, d.last)
	cumBefore := cumAcked
	if d.kept.inflight() {
		cumBefore = walCumThrough(l, d.kept.last)
	}
	d.samples = cumLast - min(cumBefore, cumLast)
	if d.last < d.first {
		return cumLast, true
	}
	src := walSource{l}
	if e, ok := firstValid(src, d.first, d.last); ok {
		d.from = time.UnixMilli(e.AppendedMs)
	}
	for j, n := d.last, 0; j >= d.first && n < maxProbe; j, n = j-1, n+1 {
		if e, ok, err := src.record(j); err == nil && ok {
			d.to = time.UnixMilli(e.AppendedMs)
			break
		}
	}
	return cumLast, true
}

// reportDrop counts and logs one drop.
func (q *Queue) reportDrop(d drop) {
	if d.last < d.first {
		q.log.Warn("queue over its budget: freed the segment of the batch in flight; it is delivered from memory, a crash before that loses it",
			"budget_bytes", q.opts.MaxBytes, "in_flight_first", d.kept.first, "in_flight_last", d.kept.last)
		return
	}
	records := d.last - d.first + 1
	q.m.droppedRecords.Add(float64(records))
	q.m.droppedSamples.Add(float64(d.samples))
	q.log.Warn("queue over its budget: dropped the oldest records",
		"samples", d.samples, "records", records, "first", d.first, "last", d.last,
		"appended_from", d.from.UTC().Format(time.RFC3339Nano), "appended_to", d.to.UTC().Format(time.RFC3339Nano),
		"budget_bytes", q.opts.MaxBytes, "in_flight_first", d.kept.first, "in_flight_last", d.kept.last)
}

// submitBytes estimates the on-disk bytes of recs (envelopes, tenants and
// payloads before compression, wal length prefixes).
func submitBytes(recs []Record) int {
	n := 0
	for i := range recs {
		stored := len(recs[i].Payload)
		if recs[i].Block != nil {
			stored = len(recs[i].Block)
		}
		size := RecordOverhead + len(recs[i].Tenant) + stored
		n += size + uvarintLen(size)
	}
	return n
}
