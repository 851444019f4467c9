package limiter

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.etcd.io/bbolt"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// boltPersister implements Persister on a bbolt file, like store.Store.
type boltPersister struct{ db *bbolt.DB }

func (p *boltPersister) Update(bucket string, fn func(*bbolt.Bucket) error) error {
	return p.db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			return err
		}
		return fn(b)
	})
}

func (p *boltPersister) View(bucket string, fn func(*bbolt.Bucket) error) error {
	return p.db.View(func(tx *bbolt.Tx) error { return fn(tx.Bucket([]byte(bucket))) })
}

// openBolt opens (or reopens) the bbolt file at path; closed at cleanup.
func openBolt(t *testing.T, path string) *boltPersister {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &boltPersister{db: db}
	t.Cleanup(func() { _ = db.Close() })
	return p
}

// tempBolt returns a persister on a fresh file and its path.
func tempBolt(t *testing.T) (*boltPersister, string) {
	path := filepath.Join(t.TempDir(), "state.db")
	return openBolt(t, path), path
}

// failingPersister fails Update while fail is set.
type failingPersister struct {
	Persister
	mu   sync.Mutex // guards fail
	fail bool
}

var errInjected = errors.New("injected store failure")

func (f *failingPersister) setFail(v bool) { f.mu.Lock(); f.fail = v; f.mu.Unlock() }

func (f *failingPersister) Update(bucket string, fn func(*bbolt.Bucket) error) error {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail {
		return errInjected
	}
	return f.Persister.Update(bucket, fn)
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func newClock(s string) *fakeClock {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &fakeClock{t: t}
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Set(s string) {
	n := newClock(s)
	c.mu.Lock()
	c.t = n.t
	c.mu.Unlock()
}

// mustNew builds a Limiter or fails the test.
func mustNew(t *testing.T, o Options, p Persister) *Limiter {
	t.Helper()
	l, err := New(o, p)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// admitRange admits hashes [from, to) with one sample each and returns
// how many were admitted.
func admitRange(l *Limiter, from, to uint64) int {
	n := 0
	for h := from; h < to; h++ {
		if l.Admit(h, 1) {
			n++
		}
	}
	return n
}

// value reads a counter or gauge.
func value(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// nopPersister discards writes; for benchmarks.
type nopPersister struct{}

func (nopPersister) Update(string, func(*bbolt.Bucket) error) error { return nil }
func (nopPersister) View(string, func(*bbolt.Bucket) error) error   { return nil }
