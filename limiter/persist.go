package limiter

import (
	"encoding/binary"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"
)

// Persister is the transactional key-value store the limiter keeps its
// windows in (prws' store.Store satisfies it).
//
// Update runs fn in one durable (fsynced) read-write transaction on the
// named top-level bucket, creating it if needed; fn's error rolls the
// transaction back and is returned. View runs fn in a read-only
// transaction; when the bucket does not exist it either calls fn with nil
// or returns an error without calling fn (store.Store returns one
// wrapping store.ErrNoBucket).
type Persister interface {
	Update(bucket string, fn func(*bbolt.Bucket) error) error
	View(bucket string, fn func(*bbolt.Bucket) error) error
}

// Store layout, inside Bucket:
//
//	hour/                  one sub-bucket per window kind ("hour", "day")
//	  limit -> uint64 BE   the limit in force when last written
//	  <start uint64 BE>/   sub-bucket of the window starting at that Unix second
//	    <hash uint64 BE> -> empty
//
// Only the current window of each kind is kept.
var limitKey = []byte("limit")

// flushAcc holds hashes taken out of the stripes for one window and not
// yet committed. A failed commit keeps them for the next flush.
type flushAcc struct {
	start  int64
	hashes []uint64
	synced bool // start's sub-bucket exists and older ones are deleted
}

// u64 encodes v as 8 bytes big-endian.
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// load runs at New: prunes expired and disabled windows and fills the
// stripes with the current windows' series.
func (l *Limiter) load() error {
	err := l.p.Update(Bucket, func(b *bbolt.Bucket) error {
		for w := range numWindows {
			if err := l.loadWindow(b, w); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("limiter: load: %w", err)
	}
	return nil
}

// loadWindow loads (or, for a disabled window, deletes) window w.
func (l *Limiter) loadWindow(b *bbolt.Bucket, w window) error {
	t := l.trk[w]
	if t == nil {
		if b.Bucket([]byte(w.String())) == nil {
			return nil
		}
		return b.DeleteBucket([]byte(w.String()))
	}
	ep := t.cur.Load()
	cb, err := prepareWindow(b, w, ep.start, t.limit)
	if err != nil {
		return err
	}
	for i := range l.stripes {
		l.stripes[i].w[w].start = ep.start
	}
	l.acc[w] = flushAcc{start: ep.start, synced: true}
	return cb.ForEach(func(k, _ []byte) error {
		if len(k) == 8 {
			h := max(binary.BigEndian.Uint64(k), 1)
			if l.stripes[stripeOf(h)].w[w].set.add(h) {
				ep.count.Add(1)
			}
		}
		return nil
	})
}

// prepareWindow makes the bucket of window w starting at start, records
// the limit and deletes every other window of that kind.
func prepareWindow(b *bbolt.Bucket, w window, start, limit int64) (*bbolt.Bucket, error) {
	wb, err := b.CreateBucketIfNotExists([]byte(w.String()))
	if err != nil {
		return nil, err
	}
	if err := wb.Put(limitKey, u64(uint64(limit))); err != nil {
		return nil, err
	}
	key := u64(uint64(start))
	var old [][]byte
	err = wb.ForEach(func(k, v []byte) error {
		if v == nil && string(k) != string(key) {
			old = append(old, slices.Clone(k))
		}
		return nil
	})
	for _, k := range old {
		if err == nil {
			err = wb.DeleteBucket(k)
		}
	}
	if err != nil {
		return nil, err
	}
	return wb.CreateBucketIfNotExists(key)
}

// Flush persists every series admitted so far in one Update transaction
// and deletes windows that have ended. It is what the background loop
// calls; call it directly for a checkpoint. On error the hashes are kept
// and retried by the next Flush. Safe for concurrent use; flushes are
// serialised.
func (l *Limiter) Flush() error {
	if len(l.active) == 0 {
		return nil
	}
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	now := l.opts.Now().Unix()
	dirty := false
	for _, t := range l.active {
		dirty = l.collect(t.kind, t.kind.startOf(now)) || dirty
	}
	defer l.refreshGauges()
	if !dirty {
		return nil
	}
	if err := l.p.Update(Bucket, l.commit); err != nil {
		l.opts.Metrics.flushFailures.Inc()
		return fmt.Errorf("limiter: flush: %w", err)
	}
	for _, t := range l.active {
		a := &l.acc[t.kind]
		a.hashes, a.synced = shrink(a.hashes[:0]), true
	}
	return nil
}

// collect moves the pending hashes of window w's epoch cur out of every
// stripe into l.acc[w] and reports whether a commit is needed. Hashes of
// an ended epoch are dropped. l.flushMu must be held.
func (l *Limiter) collect(w window, cur int64) bool {
	a := &l.acc[w]
	if a.start < cur {
		*a = flushAcc{start: cur, hashes: a.hashes[:0]}
	}
	for i := range l.stripes {
		s := &l.stripes[i]
		s.mu.Lock()
		sw := &s.w[w]
		if sw.start == a.start {
			a.hashes = append(a.hashes, sw.pending...)
		}
		if sw.start <= a.start {
			sw.pending = shrink(sw.pending[:0])
		}
		s.mu.Unlock()
	}
	return len(a.hashes) > 0 || !a.synced
}

// shrink drops the backing array of an empty buffer that grew large in a
// burst, so that steady-state memory stays with the sets.
func shrink(b []uint64) []uint64 {
	if cap(b) > 4096 {
		return nil
	}
	return b
}

// commit writes l.acc into b. It runs inside the flush transaction with
// l.flushMu held.
func (l *Limiter) commit(b *bbolt.Bucket) error {
	for _, t := range l.active {
		a := &l.acc[t.kind]
		cb, err := prepareWindow(b, t.kind, a.start, t.limit)
		if err != nil {
			return err
		}
		slices.Sort(a.hashes)                 // sequential keys keep bbolt pages full
		keys := make([]byte, 8*len(a.hashes)) // must outlive the transaction
		for i, h := range a.hashes {
			k := keys[8*i : 8*i+8]
			binary.BigEndian.PutUint64(k, h)
			if err := cb.Put(k, []byte{}); err != nil {
				return err
			}
		}
	}
	return nil
}
