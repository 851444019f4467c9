package queue

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prws/prws/internal/fsutil"
)

// Journal is the commit log of the queues that share it: one fsync makes
// the groups of every queue durable at once, however many queues a
// request's records went to.
//
// A queue with a Journal (Options.Journal) commits in the journal's
// cycles: it joins the next cycle (waiting while one is in progress),
// writes its group into its own wal without an fsync and hands the same
// wal entries to the cycle; the last queue of the cycle to do so writes
// them all with one write and one fsync, and only then are the groups'
// submitters answered. The groups of a cycle of one or two queues are
// not journaled: their queues fsync their own wals, at once, which costs
// at most one fsync more and no second copy of the data.
//
// The queues' wals are fsynced in the background at checkpoints
// (JournalOptions.Checkpoint): the journal first moves on to a new file,
// then fsyncs every queue's log, and only then removes the files it
// moved away from, so every acknowledged record is, at every moment,
// fsynced in its queue's wal or in a journal file (or both). At start
// (OpenJournal), before any queue opens, each queue's last run of
// records in the journal is written into its wal again, at their own
// indexes (restoreLog says why the wal is cut back first); a queue whose
// log fails at run time restores itself the same way when it reopens
// its log.
//
// The journal replaces per-queue fsyncs, which cost about the same CPU
// whatever their size (50-130 µs each on a small VM): with N queues, a
// request costs one fsync instead of N. When a journal write or fsync
// fails the journal file is never written again; queues then fsync their
// own wals, as without a journal, until the next checkpoint starts a new
// file.
//
// Safe for concurrent use. Build one with OpenJournal; Close it after
// the queues that use it.
type Journal struct {
	dir  string // the journal files
	root string // queue directories are named relative to it
	opts JournalOptions
	log  *slog.Logger

	// mu guards the commit cycle, the queues and pinned. It is a leaf:
	// nothing else is locked while it is held.
	mu    sync.Mutex
	ended *sync.Cond   // signalled (Broadcast) when a cycle ends
	cur   *commitRound // the cycle being formed or written; nil between cycles
	gen   uint64       // cycles ended so far
	// waiting counts callers of enter waiting for a cycle to end; expect
	// is how many of them the last end woke, who all join the next one.
	waiting, expect int
	spare           []byte // frame buffer of the last cycle, for the next
	queues          map[*Queue]struct{}
	// pinned keeps every journal file until the next start: a queue
	// closed without an fsynced log, or a restore at start failed.
	pinned bool
	closed bool

	// fileMu guards the file state below; held by a write (with its
	// fsync) and by a rotation, so a write never straddles two files.
	fileMu  sync.Mutex
	f       *os.File
	seq     uint64   // sequence number of f
	written bool     // f holds frames written since it was opened
	failed  error    // a write or fsync of f failed: f is never written again
	old     []string // files rotated away, removed by the next complete checkpoint

	stop chan struct{}
	wg   sync.WaitGroup
}

// JournalOptions configures a Journal; the zero value works.
type JournalOptions struct {
	// Checkpoint is how often the queues' logs are fsynced so that the
	// journal files written before can be removed. It bounds the
	// journal's disk use (about this long of accepted data) and what a
	// start restores. Default 1s.
	Checkpoint time.Duration
	// SegmentBytes is the segment size of the queue logs a restore at
	// start opens; Options.SegmentBytes of the queues. Default 4 MiB.
	SegmentBytes int
	// Logger receives restore and checkpoint messages. Default: discard.
	Logger *slog.Logger
}

const defaultCheckpoint = time.Second

// ErrJournalUnavailable wraps why a journal write failed; the queue then
// fsyncs its own log instead.
var ErrJournalUnavailable = errors.New("journal unavailable")

// OpenJournal opens the journal in dir for the queues whose directories
// lie under root (their names in the journal are relative to root). It
// first restores into every queue directory named in the journal's files
// the acknowledged records its wal lacks, fsyncs them and removes the
// files; then it starts a new file and the checkpoints.
// A queue directory that no longer exists is skipped with a warning. When
// a restore fails, the error is logged and the journal's files are kept
// until the next start, which tries again; OpenJournal fails only when
// the journal itself cannot be read or written.
func OpenJournal(dir, root string, opts JournalOptions) (*Journal, error) {
	j, err := newJournal(dir, root, opts)
	if err != nil {
		return nil, err
	}
	if err := j.rotate(); err != nil {
		return nil, err
	}
	if !j.pinned {
		if err := j.removeOld(len(j.old)); err != nil {
			_ = j.close()
			return nil, err
		}
	}
	j.wg.Add(1)
	go j.checkpointer()
	return j, nil
}

// RestoreJournal restores the queues under root from the journal in dir,
// as OpenJournal does, and removes its files; for a process that opens
// queues without a journal (the offline commands), so that what it
// appends cannot take the indexes of records still in the journal. It
// fails when a restore failed (the files are then kept). A missing dir
// is no journal: nothing to do.
func RestoreJournal(dir, root string, opts JournalOptions) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil // no journal was ever used here
	}
	j, err := newJournal(dir, root, opts)
	if err != nil {
		return err
	}
	if j.pinned {
		return fmt.Errorf("journal %s: a queue could not be restored from it (see the log); nothing was removed", dir)
	}
	return j.removeOld(len(j.old))
}

// newJournal applies opts' defaults, makes dir and restores the queues
// from the files there (restoreAll), which become old: removed unless a
// restore failed (pinned).
func newJournal(dir, root string, opts JournalOptions) (*Journal, error) {
	if opts.Checkpoint <= 0 {
		opts.Checkpoint = defaultCheckpoint
	}
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = defaultSegmentBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	j := &Journal{dir: dir, root: root, opts: opts, log: opts.Logger, queues: map[*Queue]struct{}{},
		stop: make(chan struct{})}
	j.ended = sync.NewCond(&j.mu)
	if err := fsutil.MkdirDurable(dir, dir, 0o750); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	files, err := journalFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if len(files) > 0 {
		j.seq = files[len(files)-1].seq
		j.pinned = !j.restoreAll(files)
		for _, f := range files {
			j.old = append(j.old, f.path)
		}
	}
	return j, nil
}

// register adds q to the queues a checkpoint fsyncs.
func (j *Journal) register(q *Queue) {
	j.mu.Lock()
	j.queues[q] = struct{}{}
	j.mu.Unlock()
}

// release removes q, whose log was closed (closeErr: its final fsync
// failed, so the journal keeps its files until the next start).
func (j *Journal) release(q *Queue, closeErr error) {
	j.mu.Lock()
	delete(j.queues, q)
	if closeErr != nil {
		j.pinned = true
	}
	j.mu.Unlock()
}

// commitRound is one commit cycle of the journal: the queues that
// joined it (enter) each write their group into their wal, then hand its
// frame (submit) or drop out (abstain); the last of them writes every
// frame with one write and one fsync, and all of them get its result.
type commitRound struct {
	undecided int            // joined, neither submitted nor abstained yet
	joined    int            // joined so far
	expect    int            // woken by the previous cycle's end: the write waits for them to join
	frames    []byte         // the frames submitted
	n         int            // how many
	owns      []func() error // per frame: its queue's wal fsync, or nil
	errs      []error        // per frame, when the owns ran instead of the journal's write
	writing   bool           // the write began: nobody joins any more
	err       error          // the write's result, set before done is closed
	done      chan struct{}
}

// enter joins the next commit cycle: it waits until the cycle in
// progress, if any, has ended (what a queue submits meanwhile joins its
// next group, so groups grow instead of fsyncs multiplying), then joins
// the cycle that forms. Every enter is followed by one submit or abstain.
func (j *Journal) enter() *commitRound {
	j.mu.Lock()
	defer j.mu.Unlock()
	for first := true; j.cur != nil && (first || j.cur.writing); first = false {
		j.waiting++
		for g := j.gen; j.gen == g; {
			j.ended.Wait()
		}
		j.waiting--
	}
	if j.cur == nil {
		j.cur = &commitRound{done: make(chan struct{}), frames: j.spare[:0], expect: j.expect}
		j.spare, j.expect = nil, 0
	}
	j.cur.undecided++
	j.cur.joined++
	return j.cur
}

// ownSyncMax is the most frames of a cycle made durable by their queues'
// own fsyncs (run at once) rather than by the journal: below three, the
// journal would save at most one fsync and cost a second copy of the
// data, whose write-back costs about as much.
const ownSyncMax = 2

// submit hands f to r and waits for the end of the cycle: nil once f is
// durable, or why not. When the cycle ends with at most ownSyncMax frames,
// all with an own (the fsync of the wal that holds the frame's entries),
// those are called instead of writing to the journal, within the cycle,
// and f's own error returned. Otherwise f is written and fsynced with the
// cycle's other frames; a failure there is ErrJournalUnavailable.
func (j *Journal) submit(r *commitRound, f *frame, own func() error) error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		j.abstain(r)
		return fmt.Errorf("%w: %w", ErrJournalUnavailable, ErrClosed)
	}
	r.frames = f.appendTo(r.frames)
	r.owns = append(r.owns, own)
	i := r.n
	r.n++
	err := j.decided(r)
	if r.errs != nil {
		return r.errs[i]
	}
	return err
}

// abstain takes the caller out of r without a frame (its wal write
// failed); when it was the last undecided one it writes the others'.
func (j *Journal) abstain(r *commitRound) {
	j.mu.Lock()
	_ = j.decided(r)
}

// decided counts one more decision in r, with mu held (and released):
// the last one, once every queue the previous cycle's end woke has
// joined (so that they share this cycle instead of each starting one),
// writes the cycle's frames and ends it; the others wait for that.
func (j *Journal) decided(r *commitRound) error {
	r.undecided--
	if r.undecided > 0 || r.joined < r.expect {
		j.mu.Unlock()
		<-r.done
		return r.err
	}
	r.writing = true
	j.mu.Unlock()
	switch {
	case r.n == 0:
	case r.n <= ownSyncMax && !slices.ContainsFunc(r.owns, func(f func() error) bool { return f == nil }):
		r.errs = make([]error, r.n)
		var wg sync.WaitGroup
		for i, own := range r.owns[1:] {
			wg.Go(func() { r.errs[i+1] = own() })
		}
		r.errs[0] = r.owns[0]()
		wg.Wait()
	default:
		r.err = j.write(r.frames)
	}
	j.mu.Lock()
	if cap(r.frames) <= groupRetain {
		j.spare = r.frames[:0]
	}
	j.cur = nil
	j.gen++
	j.expect = j.waiting
	j.ended.Broadcast()
	j.mu.Unlock()
	close(r.done)
	return r.err
}

// write appends buf to the current file and fsyncs it. After a failure
// the file is never written again (fsyncgate): every write fails until a
// checkpoint rotates to a new file.
func (j *Journal) write(buf []byte) error {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	if j.failed != nil {
		return j.failed
	}
	if j.f == nil {
		return fmt.Errorf("%w: no file", ErrJournalUnavailable)
	}
	_, err := j.f.Write(buf)
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		j.failed = fmt.Errorf("%w: %s: %w", ErrJournalUnavailable, j.f.Name(), err)
		j.log.Error("journal write failed; queues fsync their own logs until the next checkpoint", "err", err)
		return j.failed
	}
	j.written = true
	return nil
}

// rotate makes the next file, with a durable name, the one written to;
// the current one joins old. It does nothing when the current file has
// no frame and did not fail. Callers do not hold fileMu.
func (j *Journal) rotate() error {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	if j.f != nil && !j.written && j.failed == nil {
		return nil
	}
	seq := j.seq + 1
	path := filepath.Join(j.dir, journalName(seq))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o640)
	if err == nil {
		if err = fsutil.SyncDir(j.dir); err != nil {
			_ = f.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("journal: new file: %w", err)
	}
	if j.f != nil {
		j.old = append(j.old, j.f.Name())
		_ = j.f.Close() // written frames were fsynced; a failed file has nothing more to give
	}
	j.f, j.seq, j.written, j.failed = f, seq, false, nil
	return nil
}

// checkpointer runs a checkpoint every JournalOptions.Checkpoint.
func (j *Journal) checkpointer() {
	defer j.wg.Done()
	t := time.NewTicker(j.opts.Checkpoint)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := j.checkpoint(); err != nil {
				j.log.Error("journal checkpoint failed; its files are kept", "err", err)
			}
		case <-j.stop:
			return
		}
	}
}

// checkpoint rotates to a new file, fsyncs every registered queue's log
// and then removes the files rotated away: what they hold is now in the
// queues' fsynced logs. A queue whose fsync fails retires its log (it
// restores from the journal when it reopens) and the files stay.
func (j *Journal) checkpoint() error {
	if err := j.rotate(); err != nil {
		return err
	}
	j.fileMu.Lock()
	n := len(j.old)
	j.fileMu.Unlock()
	if n == 0 {
		return nil
	}
	j.mu.Lock()
	qs := make([]*Queue, 0, len(j.queues))
	for q := range j.queues {
		qs = append(qs, q)
	}
	pinned := j.pinned
	j.mu.Unlock()
	if pinned {
		return nil
	}
	var errs []error
	for _, q := range qs {
		if err := q.syncForJournal(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return j.removeOld(n)
}

// removeOld removes the first n files of old and makes that durable.
func (j *Journal) removeOld(n int) error {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	for _, p := range j.old[:n] {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("journal: %w", err)
		}
	}
	j.old = append(j.old[:0], j.old[n:]...)
	if n == 0 {
		return nil
	}
	return fsutil.SyncDir(j.dir)
}

// Close stops the checkpoints; a cycle joined later fails with
// ErrJournalUnavailable and its queues fsync their own wals. Close the
// queues first: when every queue closed with an fsynced log, the files
// are removed (nothing needs restoring at the next start); otherwise
// they are kept for it.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return ErrClosed
	}
	j.closed = true
	j.mu.Unlock()
	close(j.stop)
	j.wg.Wait()
	j.mu.Lock()
	keep := j.pinned || len(j.queues) > 0
	j.mu.Unlock()
	err := j.close()
	if keep || err != nil {
		return err
	}
	j.fileMu.Lock()
	if j.f == nil {
		j.fileMu.Unlock()
		return nil
	}
	j.old = append(j.old, j.f.Name())
	j.f = nil
	j.fileMu.Unlock()
	return j.removeOld(len(j.old))
}

// close closes the current file; its frames were fsynced.
func (j *Journal) close() error {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	if j.f == nil {
		return nil
	}
	if err := j.f.Close(); err != nil {
		j.f = nil
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}
