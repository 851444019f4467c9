package queue

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/prws/prws/internal/fsutil"
	"github.com/tidwall/wal"
)

// Record is one unit appended to a queue.
type Record struct {
	Kind    Kind
	Tenant  string // empty for none
	Samples int    // samples + histograms in Payload
	// Payload is a valid remote-write 1.0 WriteRequest fragment. The
	// queue copies it before Submit returns; the caller keeps ownership.
	Payload []byte
	// Block, when not nil, is Compress's block of Payload, stored as it
	// is instead of compressing Payload under the queue's lock: so a
	// payload bound for several queues is compressed once, by its
	// caller. Submit checks only that its length header matches
	// Payload. Copied and owned like Payload.
	Block []byte
	// Raw says the caller found that Payload does not compress (Compress
	// answered false): Submit stores it as is without trying again. Not
	// with Block.
	Raw bool
}

// Queue is one durable FIFO of records in one directory. The write side
// (Submit, Append), Stats and Close are safe for concurrent use; the
// replay side (NextBatch, Ack) belongs to one goroutine.
type Queue struct {
	dir  string
	opts Options // private copy, defaults applied
	log  *slog.Logger
	m    queueMetrics

	// mu guards the commit state below. Lock order: doc.go (# Locks).
	mu         sync.Mutex
	next       *group // group being formed
	nextIndex  uint64 // index the next submitted record gets
	cumNext    uint64 // cumulative samples through nextIndex-1
	durable    uint64 // last fsynced index
	cumDurable uint64 // cumulative samples through durable
	brokenErr  error  // why the log is retired; nil once reopened
	closed     bool
	scratch    []byte                           // envelope encoding buffer
	writeBatch func(*wal.Log, *wal.Batch) error // replaced by fault-injection tests

	// readMu serialises every use of wlog except the writer's WriteBatch
	// (a read's NoCopy slice lives only until the wal's next read). wlog
	// is assigned only while holding both mu and readMu, so either lock
	// suffices to read it.
	readMu sync.Mutex
	wlog   *wal.Log // nil while retired and not reopened

	// curMu guards the replay cursor below.
	curMu     sync.Mutex
	cur       cursorState // in-memory cursor: acked and batch in flight
	saved     cursorState // what the cursor file holds
	cumAcked  uint64      // cumulative samples through cur.acked
	cursor    *cursorStore
	truncMu   sync.Mutex // held while deciding on and running a truncation
	lastTrunc uint64     // persisted ack the last truncation check saw; guarded by truncMu
	// lastListed is when maybeTruncate last listed the directory (unix
	// ns), for maybeTruncateEvery.
	lastListed atomic.Int64

	join      joiner        // Batch.Snappy buffers, owned by the replay goroutine
	corrupt   atomic.Uint64 // records skipped since open
	skipLog   corruptLog    // rate limit of the skipped-record Warn lines
	budget    budgetState   // DropOldest coordination with the Consumer; budget.go
	fsyncs    atomic.Uint64 // group commits since open
	diskBytes atomic.Int64  // approximate bytes of segment files
	retired   atomic.Bool   // brokenErr != nil, for the writer to check without mu
	// idleReleases counts releaseIdle calls, for tests.
	idleReleases atomic.Uint64

	jname       string // name in Options.Journal: dir relative to its root
	logCloseErr error  // the final Close of wlog; guarded by mu

	kick     chan struct{} // wakes the writer; capacity 1
	appended chan struct{} // wakes NextBatch; capacity 1
	acked    chan struct{} // wakes the ack flusher; capacity 1
	stop     chan struct{} // closed by Close
	wg       sync.WaitGroup
}

// Open opens or creates the queue in dir. It first repairs the directory
// (torn tail, broken or missing segments, stale temp files) and removes
// segments wholly below the persisted cursor, then opens the wal and
// starts the queue's writer goroutine. A bad record never makes Open
// fail; an I/O error does.
func Open(dir string, opts Options) (*Queue, error) {
	o := opts.withDefaults(dir)
	if err := fsutil.MkdirDurable(dir, dir, 0o750); err != nil {
		return nil, fmt.Errorf("queue %s: %w", o.Name, err)
	}
	q := &Queue{
		dir: dir, opts: o, log: o.Logger, m: o.Metrics.forQueue(o.Name),
		next: &group{}, kick: make(chan struct{}, 1), appended: make(chan struct{}, 1),
		acked: make(chan struct{}, 1), stop: make(chan struct{}),
		writeBatch: func(l *wal.Log, b *wal.Batch) error { return l.WriteBatch(b) },
	}
	if j := o.Journal; j != nil {
		name, err := j.nameOf(dir)
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", o.Name, err)
		}
		q.jname = name
	}
	if err := q.open(); err != nil {
		return nil, fmt.Errorf("queue %s: %w", o.Name, err)
	}
	if j := o.Journal; j != nil {
		j.register(q)
		q.journalReset()
	}
	q.wg.Add(2)
	go q.writer()
	go q.ackFlusher()
	return q, nil
}

// open loads the cursor, cleans and repairs dir, opens the wal and derives
// the in-memory state.
func (q *Queue) open() error {
	c, st, found, err := openCursor(q.dir)
	if err != nil {
		return err
	}
	if found {
		if err := removeAckedSegments(q.dir, st.acked, q.log); err != nil {
			c.close()
			return err
		}
	}
	l, err := q.openLog()
	if err != nil {
		c.close()
		return err
	}
	q.cursor, q.wlog = c, l
	if err := q.loadState(st, found); err != nil {
		l.Close()
		c.close()
		return err
	}
	q.diskBytes.Store(totalBytes(logSegments(l)))
	return nil
}

// openLog clears the trash, repairs dir and opens the wal on it. The wal
// starts a new tail segment file (NewTailOnOpen): records are never
// appended to a file this process did not create, so none is made
// durable behind a part of a file whose fsync failed before a crash or
// a retirement.
func (q *Queue) openLog() (*wal.Log, error) {
	if err := clearTrash(q.dir); err != nil {
		return nil, fmt.Errorf("clear %s: %w", trashDir, err)
	}
	rep, err := repairDir(q.dir, q.log)
	if err != nil {
		return nil, fmt.Errorf("repair: %w", err)
	}
	if rep.tailCutBytes > 0 {
		q.m.tailRepairs.Inc()
	}
	j := q.opts.Journal
	l, err := wal.Open(q.dir, &wal.Options{
		SegmentSize: q.opts.SegmentBytes, SegmentCacheSize: 1,
		NoCopy: true, AllowEmpty: true, DirPerms: 0o750, FilePerms: 0o640,
		NewTailOnOpen: true, NoSync: j != nil,
	})
	if err != nil {
		return nil, fmt.Errorf("open wal: %w", err)
	}
	if j != nil {
		n, err := j.restoreInto(q.jname, l)
		if err != nil {
			_ = l.Close()
			return nil, fmt.Errorf("restore from the journal: %w", err)
		}
		if n > 0 {
			q.log.Info("restored acknowledged records from the journal", "records", n)
		}
	}
	return l, nil
}

// removeAckedSegments deletes segment files whose every index is at or
// below acked, keeping the last segment. It does nothing while a wal
// .START/.END operation is unfinished.
func removeAckedSegments(dir string, acked uint64, log *slog.Logger) error {
	l, err := listSegments(dir)
	if err != nil || l.pending {
		return err
	}
	removed := 0
	for k := 0; k+1 < len(l.segs) && l.segs[k+1].index <= acked+1; k++ {
		if err := os.Remove(l.segs[k].path); err != nil {
			return err
		}
		removed++
	}
	if removed > 0 {
		log.Info("removed acknowledged segments", "segments", removed, "acked", acked)
		return syncDir(dir)
	}
	return nil
}

// loadState derives indexes and cumulative counts from the open wal and
// the persisted cursor st, clamping a cursor that does not fit the log.
func (q *Queue) loadState(st cursorState, found bool) error {
	first, last, err := logBounds(q.wlog)
	if err != nil {
		return err
	}
	if !found {
		st = cursorState{acked: first - 1}
	}
	if st.acked < first-1 || st.acked > last {
		q.log.Warn("cursor outside the log; clamped", "acked", st.acked, "first", first, "last", last)
		st.acked = min(max(st.acked, first-1), last)
	}
	if st.inflight() && (st.first != st.acked+1 || st.last > last) {
		st.first, st.last = 0, 0
	}
	q.cur, q.saved = st, st
	q.nextIndex, q.durable = last+1, last
	q.cumNext = q.cumThrough(last)
	q.cumDurable = q.cumNext
	q.cumAcked = q.cumThrough(st.acked)
	return nil
}

// logBounds returns the wal's first and last index (first = last+1 when
// empty).
func logBounds(l *wal.Log) (first, last uint64, err error) {
	if first, err = l.FirstIndex(); err != nil {
		return 0, 0, err
	}
	if last, err = l.LastIndex(); err != nil {
		return 0, 0, err
	}
	return first, last, nil
}

// Close stops the writer after it has committed every submitted group,
// wakes a blocked NextBatch with ErrClosed, persists the cursor and closes
// the files. What was acknowledged and not yet truncated stays on disk
// and is skipped at the next Open. Calling Close again returns ErrClosed.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	q.closed = true
	q.mu.Unlock()
	close(q.stop)
	q.wg.Wait()
	err := q.persist()
	q.mu.Lock()
	q.readMu.Lock()
	if q.wlog != nil {
		q.logCloseErr = q.wlog.Close()
		err = errors.Join(err, q.logCloseErr)
		q.wlog = nil
	} else if q.brokenErr != nil {
		q.logCloseErr = q.brokenErr // what the journal holds for it is in no fsynced log
	}
	closeErr := q.logCloseErr
	q.readMu.Unlock()
	q.mu.Unlock()
	if j := q.opts.Journal; j != nil {
		if closeErr == nil {
			q.journalReset()
		}
		j.release(q, closeErr)
	}
	q.curMu.Lock()
	err = errors.Join(err, q.cursor.close())
	q.curMu.Unlock()
	q.m.forget()
	return err
}

// signal does a non-blocking send on a capacity-1 wake-up channel.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
