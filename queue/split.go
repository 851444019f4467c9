package queue

import (
	"errors"
	"fmt"
)

// Split is the position of the sub-batch in flight when the batch in
// flight is being split (a backend refused it as a whole; see the replay
// package). Lo..Hi are entry indexes (top-level WriteRequest entries of
// the batch body, in order), half-open; when SampleHi is non-zero the
// sub-batch is the samples SampleLo..SampleHi (half-open, samples then
// histograms in their order) of the single entry Lo, Hi being Lo+1. The
// zero Split means no split: the whole batch is in flight.
//
// When Lanes is non-zero the batch was sent as Lanes requests of disjoint
// series at once (see the replay package), and the position is inside the
// body of lane Lane (0-based) of that division, not of the whole batch.
//
// The queue does not interpret a Split: it persists it next to the batch
// bounds so that after a crash NextBatch returns the same batch with the
// same Split, and the sender can resend exactly the same sub-batch.
type Split struct {
	Lo, Hi             uint32
	SampleLo, SampleHi uint32
	Lane, Lanes        uint16
}

// IsZero reports whether s is the zero Split (no split in flight).
func (s Split) IsZero() bool { return s == Split{} }

// SetSplit records s as the sub-batch in flight of b, the batch in
// flight, and fsyncs it (together with any pending acknowledgement)
// before it returns: after a crash NextBatch returns b with Batch.Split
// s. The zero Split clears it. It blocks for one fsync. Only the
// NextBatch goroutine may call it; it returns an error wrapping
// ErrAckMismatch when b is not the batch in flight, ErrClosed after
// Close.
func (q *Queue) SetSplit(b Batch, s Split) error {
	q.curMu.Lock()
	defer q.curMu.Unlock()
	if err := q.inflightLocked(b, "split of"); err != nil {
		return err
	}
	q.cur.split = s
	if err := q.persistLocked(); err != nil {
		return fmt.Errorf("queue %s: %w", q.opts.Name, err)
	}
	return nil
}

// SetSplit is Queue.SetSplit, except that for an in-flight batch a drop
// moved the cursor past it records nothing and returns nil: that batch
// is no longer resent after a restart, split or not.
func (c *Consumer) SetSplit(b Batch, s Split) error {
	q := c.q
	err := q.SetSplit(b, s)
	if errors.Is(err, ErrAckMismatch) {
		q.curMu.Lock()
		kept := q.budget.kept
		if kept.inflight() && kept.first == b.First && kept.last == b.Last {
			err = nil
		}
		q.curMu.Unlock()
	}
	return err
}
