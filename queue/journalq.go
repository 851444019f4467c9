package queue

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/tidwall/wal"
)

// nameOf returns the journal name of the queue directory dir: its path
// relative to the journal's root, with slashes.
func (j *Journal) nameOf(dir string) (string, error) {
	rel, err := filepath.Rel(j.root, dir)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("queue directory %s is not under the journal's root %s", dir, j.root)
	}
	return filepath.ToSlash(rel), nil
}

// journalCommit makes g, just written to l without an fsync, durable
// within the journal's cycle r: in the journal, by fsyncing l when g is
// the cycle's only group, or by fsyncing l after the journal could not
// take it. Only the writer goroutine calls it.
func (q *Queue) journalCommit(l *wal.Log, g *group, r *commitRound) error {
	f := frame{kind: frameRecords, name: q.jname, first: g.last - uint64(g.records) + 1, count: g.records, body: g.jbody}
	err := q.opts.Journal.submit(r, &f, l.Sync)
	if !errors.Is(err, ErrJournalUnavailable) {
		return err
	}
	q.m.journalFallbacks.Inc()
	return l.Sync()
}

// journalReset writes a reset frame for the queue: its log holds, fsynced,
// every record the journal has for it so far. Called by Open after the
// log was restored, and by Close after it was closed with an fsync, when
// the writer goroutine is not running. A failure only means a later
// restore rereads frames it finds in the log already.
func (q *Queue) journalReset() {
	j := q.opts.Journal
	_ = j.submit(j.enter(), &frame{kind: frameReset, name: q.jname}, nil)
}

// syncForJournal fsyncs the queue's log for a journal checkpoint. A
// retired log, or a closed one whose final fsync failed, returns why: the
// journal must keep what it holds for the queue. A failed fsync retires
// the log (the writer reopens it and restores from the journal) and
// fails the forming group.
func (q *Queue) syncForJournal() error {
	q.readMu.Lock()
	l := q.wlog
	var err error
	if l != nil {
		err = l.Sync()
	}
	q.readMu.Unlock()
	q.mu.Lock()
	if l == nil {
		err = q.brokenErr
		if err == nil {
			err = q.logCloseErr
		}
		q.mu.Unlock()
		if err != nil {
			return fmt.Errorf("queue %s: %w", q.opts.Name, err)
		}
		return nil
	}
	if err == nil {
		q.mu.Unlock()
		return nil
	}
	err = classifyWriteErr(q.opts.Name, err)
	failed := q.retireLocked(err, l)
	q.mu.Unlock()
	for _, w := range failed {
		w <- err
	}
	return err
}
