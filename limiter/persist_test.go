package limiter

import (
	"errors"
	"testing"

	"go.etcd.io/bbolt"
)

// TestCrashForgetsAtMostUnflushed admits, flushes, admits more and
// "crashes" (drops the Limiter without Close). Reopened from the same
// file, everything flushed is still counted and only the unflushed
// series are forgotten.
func TestCrashForgetsAtMostUnflushed(t *testing.T) {
	p, path := tempBolt(t)
	clk := newClock("2024-05-01T10:15:00Z")
	o := Options{MaxHourlySeries: 100, MaxDailySeries: 1000, Now: clk.Now}
	l := mustNew(t, o, p)
	admitRange(l, 1, 61)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	admitRange(l, 61, 81) // never flushed
	if got := l.Status().Unflushed; got != 40 {
		t.Fatalf("unflushed = %d, want 20 series in 2 windows", got)
	}
	_ = p.db.Close() // crash: l is abandoned, no Close
	l2 := mustNew(t, o, openBolt(t, path))
	st := l2.Status()
	if st.Hour.Series != 60 || st.Day.Series != 60 {
		t.Fatalf("after crash: hour %d day %d, want 60 flushed series", st.Hour.Series, st.Day.Series)
	}
	if n := admitRange(l2, 1, 61); n != 60 {
		t.Fatalf("flushed series refused after restart: %d of 60", n)
	}
	if n := admitRange(l2, 1000, 1100); n != 40 {
		t.Fatalf("new series after restart: %d admitted, want 40", n)
	}
}

// TestCloseThenReopenKeepsEverything: after Close nothing is forgotten.
func TestCloseThenReopenKeepsEverything(t *testing.T) {
	p, path := tempBolt(t)
	clk := newClock("2024-05-01T10:15:00Z")
	o := Options{MaxHourlySeries: 50, Now: clk.Now}
	l := mustNew(t, o, p)
	l.Start()
	admitRange(l, 1, 200)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	_ = p.db.Close()
	l2 := mustNew(t, o, openBolt(t, path))
	if st := l2.Status(); st.Hour.Series != 50 {
		t.Fatalf("after Close and reopen: %d series, want 50", st.Hour.Series)
	}
	if n := admitRange(l2, 1, 200); n != 50 {
		t.Fatalf("admitted %d, want the same 50", n)
	}
}

// TestReopenIgnoresAndDeletesExpiredWindows reopens in the next hour (same
// day) and the next day.
func TestReopenIgnoresAndDeletesExpiredWindows(t *testing.T) {
	p, _ := tempBolt(t)
	clk := newClock("2024-05-01T23:30:00Z")
	o := Options{MaxHourlySeries: 10, MaxDailySeries: 20, Now: clk.Now}
	l := mustNew(t, o, p)
	admitRange(l, 1, 11)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	clk.Set("2024-05-01T23:59:59Z")
	if st := mustNew(t, o, p).Status(); st.Hour.Series != 10 || st.Day.Series != 10 {
		t.Fatalf("same hour: %+v", st)
	}
	clk.Set("2024-05-02T00:00:00Z")
	if st := mustNew(t, o, p).Status(); st.Hour.Series != 0 || st.Day.Series != 0 {
		t.Fatalf("next day: %+v", st)
	}
	clk.Set("2024-05-01T23:30:00Z") // an expired window must be gone from disk
	if st, err := ReadStatus(p, clk.Now()); err != nil || st.Hour.Series != 0 {
		t.Fatalf("expired window still on disk: %+v %v", st, err)
	}
}

// TestFailedFlushIsRetried: a store failure keeps the hashes for the next
// flush and the error wraps the cause.
func TestFailedFlushIsRetried(t *testing.T) {
	bp, _ := tempBolt(t)
	fp := &failingPersister{Persister: bp}
	clk := newClock("2024-05-01T10:00:00Z")
	l := mustNew(t, Options{MaxHourlySeries: 100, Now: clk.Now}, fp)
	admitRange(l, 1, 31)
	fp.setFail(true)
	if err := l.Flush(); !errors.Is(err, errInjected) {
		t.Fatalf("flush error = %v, want injected", err)
	}
	if v := value(l.opts.Metrics.flushFailures); v != 1 {
		t.Fatalf("flush failures = %v", v)
	}
	admitRange(l, 31, 41)
	fp.setFail(false)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := ReadStatus(bp, clk.Now()); err != nil || st.Hour.Series != 40 || st.Hour.Limit != 100 {
		t.Fatalf("persisted %+v, err %v", st.Hour, err)
	}
}

// TestDisablingAWindowDeletesItsData: a window whose limit became 0 is
// removed at the next start.
func TestDisablingAWindowDeletesItsData(t *testing.T) {
	p, _ := tempBolt(t)
	clk := newClock("2024-05-01T10:00:00Z")
	l := mustNew(t, Options{MaxHourlySeries: 5, MaxDailySeries: 5, Now: clk.Now}, p)
	admitRange(l, 1, 4)
	_ = l.Close()
	mustNew(t, Options{MaxDailySeries: 5, Now: clk.Now}, p)
	st, err := ReadStatus(p, clk.Now())
	if err != nil || st.Hour.Series != 0 || st.Hour.Limit != 0 || st.Day.Series != 3 {
		t.Fatalf("%+v %v", st, err)
	}
}

// strictViewPersister fails View on a missing bucket, like store.Store.
type strictViewPersister struct{ *boltPersister }

var errNoBucket = errors.New("bucket not found")

func (p strictViewPersister) View(bucket string, fn func(*bbolt.Bucket) error) error {
	return p.boltPersister.View(bucket, func(b *bbolt.Bucket) error {
		if b == nil {
			return errNoBucket
		}
		return fn(b)
	})
}

func TestReadStatusMissingBucketIsTestable(t *testing.T) {
	bp, _ := tempBolt(t)
	p := strictViewPersister{bp}
	clk := newClock("2024-05-01T10:20:00Z")
	if _, err := ReadStatus(p, clk.Now()); !errors.Is(err, errNoBucket) {
		t.Fatalf("err = %v, want wrapped errNoBucket", err)
	}
	l := mustNew(t, Options{MaxHourlySeries: 3, Now: clk.Now}, p)
	admitRange(l, 1, 3)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := ReadStatus(p, clk.Now()); err != nil || st.Hour.Series != 2 || st.Hour.Limit != 3 {
		t.Fatalf("%+v %v", st.Hour, err)
	}
}

func TestReadStatusEmptyStore(t *testing.T) {
	p, _ := tempBolt(t)
	clk := newClock("2024-05-01T10:20:00Z")
	st, err := ReadStatus(p, clk.Now())
	if err != nil || st.Hour.Series != 0 || st.Hour.Start.Minute() != 0 || st.Day.End.Day() != 2 {
		t.Fatalf("%+v %v", st, err)
	}
}
