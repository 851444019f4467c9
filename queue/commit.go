package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tidwall/wal"
)

// group is one group commit: the encoded records of every Submit that
// arrived while the previous group was being written, and their waiters.
type group struct {
	batch   wal.Batch
	waiters []chan<- error
	records int
	samples int
	bytes   int    // on-disk bytes (wal length prefixes included)
	last    uint64 // index of the group's last record
	cumLast uint64 // cumulative samples through last
	jbody   []byte // the records again, as a journal frame body (Options.Journal)
}

// groupRetain bounds the buffer a commit group keeps for the next one,
// so a burst does not pin its memory for ever (a queue has two groups).
const groupRetain = 1 << 20

// reset empties g for reuse.
func (g *group) reset() {
	if g.bytes > groupRetain {
		g.batch = wal.Batch{}
	} else {
		g.batch.Clear()
	}
	clear(g.waiters)
	g.waiters = g.waiters[:0]
	if cap(g.jbody) > groupRetain {
		g.jbody = nil
	}
	g.jbody = g.jbody[:0]
	g.records, g.samples, g.bytes = 0, 0, 0
}

// Append makes recs durable (group commit) and blocks until they are
// fsynced or failed. ctx only bounds the wait: when it ends first, Append
// returns ctx.Err() and the records may still become durable. Safe for
// concurrent use.
func (q *Queue) Append(ctx context.Context, recs []Record) error {
	done := make(chan error, 1)
	q.Submit(recs, done)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Submit is the asynchronous form of Append: it assigns indexes, encodes
// recs into the next commit group (copying their payloads and blocks; the
// caller may reuse its buffers at once) and returns without waiting for
// the disk.
// Exactly one value is later sent on done: nil once every record is
// fsynced, or the error that failed them (ErrClosed, ErrFull,
// ErrInvalidRecord, a write error, ErrDiskFull for ENOSPC). At MaxBytes
// with the DropOldest policy it first drops the oldest segments (see
// makeRoom); it blocks for that drop's cursor fsync. done must be
// buffered so the sender never blocks. Safe for concurrent use.
func (q *Queue) Submit(recs []Record, done chan<- error) {
	if err := validateRecords(recs); err != nil {
		done <- fmt.Errorf("queue %s: %w", q.opts.Name, err)
		return
	}
	q.mu.Lock()
	err := q.admitLocked()
	if errors.Is(err, ErrFull) && q.opts.FullPolicy == DropOldest && len(recs) > 0 {
		q.mu.Unlock()
		q.makeRoom(submitBytes(recs))
		q.mu.Lock()
		err = q.admitLocked()
	}
	if err != nil || len(recs) == 0 {
		q.mu.Unlock()
		done <- err
		return
	}
	q.encodeLocked(recs, time.Now().UnixMilli())
	q.next.waiters = append(q.next.waiters, done)
	q.mu.Unlock()
	signal(q.kick)
}

// admitLocked decides whether a Submit may join the forming group. A
// Submit on a retired log fails at once with the reason and wakes the
// writer, which tries to reopen it (reopen): a Submit never waits for the
// repair's read of the whole backlog.
func (q *Queue) admitLocked() error {
	if q.closed {
		return ErrClosed
	}
	if q.brokenErr != nil {
		signal(q.kick)
		return fmt.Errorf("queue %s: log unavailable: %w", q.opts.Name, q.brokenErr)
	}
	if max := q.opts.MaxBytes; max > 0 && q.diskBytes.Load()+int64(q.next.bytes) >= max {
		return fmt.Errorf("queue %s: %w (budget %d bytes)", q.opts.Name, ErrFull, max)
	}
	return nil
}

// encodeLocked assigns indexes and cumulative counts to recs and appends
// their envelopes to the forming group.
func (q *Queue) encodeLocked(recs []Record, nowMs int64) {
	g := q.next
	for i := range recs {
		r := &recs[i]
		q.cumNext += uint64(r.Samples)
		e := Envelope{Kind: r.Kind, Index: q.nextIndex, AppendedMs: nowMs,
			Samples: uint32(r.Samples), CumSamples: q.cumNext}
		q.scratch = appendRecord(q.scratch[:0], &e, r.Tenant, r.Payload, r.Block, !r.Raw)
		g.batch.Write(q.nextIndex, q.scratch)
		if q.opts.Journal != nil {
			g.jbody = appendEntry(g.jbody, q.scratch)
		}
		g.records++
		g.samples += r.Samples
		size := len(q.scratch) + uvarintLen(len(q.scratch))
		g.bytes += size
		g.last, g.cumLast = q.nextIndex, q.cumNext
		q.nextIndex++
	}
	if cap(q.scratch) > groupRetain {
		q.scratch = nil
	}
}

// uvarintLen is the size of the wal's length prefix for n bytes.
func uvarintLen(n int) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}

// writer is the queue's commit goroutine: it writes one group at a time
// and drains what was submitted before Close. Once nothing was submitted
// for Options.IdleRelease it frees the write side's buffers (releaseIdle).
func (q *Queue) writer() {
	defer q.wg.Done()
	spare := &group{}
	idle := time.NewTimer(q.opts.IdleRelease)
	defer idle.Stop()
	for {
		select {
		case <-q.kick:
		case <-idle.C:
			q.releaseIdle(spare)
			continue
		case <-q.stop:
			for q.commitNext(&spare) {
			}
			return
		}
		if q.retired.Load() {
			q.reopen()
		}
		for q.commitNext(&spare) {
		}
		idle.Reset(q.opts.IdleRelease)
	}
}

// releaseIdle frees what an idle queue's write side holds: the buffers of
// both commit groups (the forming one only when empty), the envelope
// scratch, and the wal's write buffer, read window and cached entry
// positions. The next Submit and read allocate again. Called by the
// writer goroutine, which owns spare.
func (q *Queue) releaseIdle(spare *group) {
	spare.batch, spare.waiters, spare.jbody = wal.Batch{}, nil, nil
	q.mu.Lock()
	if len(q.next.waiters) == 0 {
		q.next.batch, q.next.waiters, q.next.jbody = wal.Batch{}, nil, nil
	}
	q.scratch = nil
	q.mu.Unlock()
	q.readMu.Lock()
	if l := q.wlog; l != nil {
		_ = l.ClearCache() // only fails on a closed or corrupt log, which has nothing to free
	}
	q.readMu.Unlock()
	q.idleReleases.Add(1)
}

// commitNext swaps out the forming group, writes it with one WriteBatch
// (one fsync; the patched wal also fsyncs the directory, under its lock,
// when the group starts a new segment file) and reports the result to
// its waiters. With Options.CommitCycle it first waits for its cycle and
// writes within it. With Options.Journal the write is not fsynced: the
// journal's cycle, joined first, makes the group durable (journalCommit).
// It returns false when there was nothing to write.
func (q *Queue) commitNext(spare **group) bool {
	q.mu.Lock()
	pending := len(q.next.waiters) > 0
	q.mu.Unlock()
	if !pending {
		return false
	}
	c, j := q.opts.CommitCycle, q.opts.Journal
	var round *commitRound
	switch {
	case j != nil:
		round = j.enter() // what is submitted meanwhile joins this group
	case c != nil:
		c.enter() // likewise
	}
	q.mu.Lock()
	g := q.next
	q.next, *spare = *spare, nil
	l, write := q.wlog, q.writeBatch
	q.mu.Unlock()

	err := errors.New("log unavailable")
	if l != nil {
		start := time.Now()
		err = write(l, &g.batch)
		if round != nil && err == nil {
			err = q.journalCommit(l, g, round)
			round = nil
		}
		q.m.fsync.Observe(time.Since(start).Seconds())
		q.fsyncs.Add(1)
	}
	switch {
	case round != nil:
		j.abstain(round) // before finish: a reopen after an error must not hold the cycle
	case j == nil && c != nil:
		c.leave() // likewise
	}
	q.finish(g, l, err)
	g.reset()
	*spare = g
	return true
}

// finish publishes a committed group or, on error, retires the log, and
// then answers every waiter.
func (q *Queue) finish(g *group, used *wal.Log, err error) {
	var failed []chan<- error
	q.mu.Lock()
	if err == nil {
		q.durable, q.cumDurable = g.last, g.cumLast
		q.diskBytes.Add(int64(g.bytes))
	} else {
		err = classifyWriteErr(q.opts.Name, err)
		failed = q.retireLocked(err, used)
	}
	q.mu.Unlock()
	if err != nil {
		q.reopen() // before answering: a Submit after this one finds the log back
	} else {
		q.m.group.Observe(float64(len(g.waiters)))
		q.m.records.Add(float64(g.records))
		q.m.samples.Add(float64(g.samples))
		q.m.bytes.Add(float64(g.bytes))
		signal(q.appended)
	}
	for _, w := range g.waiters {
		w <- err
	}
	for _, w := range failed {
		w <- err
	}
}
