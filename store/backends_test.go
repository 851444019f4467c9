package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// fakeClock returns a settable clock for Options.Now.
func fakeClock(start time.Time) (func() time.Time, func(time.Time)) {
	now := start
	return func() time.Time { return now }, func(t time.Time) { now = t }
}

func TestBackendRegistry(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	now, set := fakeClock(t0)
	s, _ := openTemp(t, Options{Now: now})
	if recs, err := s.Backends(); err != nil || len(recs) != 0 {
		t.Fatalf("new store: %+v %v", recs, err)
	}
	rec := BackendRecord{ID: "b2", URL: "https://alice:s3cret@tsdb/api/v1/push?token=t0k&tenant=x", Settings: map[string]string{"protocol": "1.0"}}
	if err := s.PutBackend(rec); err != nil {
		t.Fatal(err)
	}
	if rec.FirstSeen != (time.Time{}) || !strings.Contains(rec.URL, "s3cret") {
		t.Fatal("PutBackend modified the caller's record")
	}
	set(t0.Add(time.Hour))
	if err := s.PutBackend(BackendRecord{ID: "b1", URL: "http://tsdb-1/w"}); err != nil {
		t.Fatal(err)
	}
	set(t0.Add(2 * time.Hour))
	if err := s.PutBackend(BackendRecord{ID: "b2", URL: rec.URL}); err != nil {
		t.Fatal(err)
	}
	recs, err := s.Backends()
	if err != nil || len(recs) != 2 || recs[0].ID != "b1" || recs[1].ID != "b2" {
		t.Fatalf("Backends() = %+v, %v; want b1, b2 sorted", recs, err)
	}
	b2 := recs[1]
	if !b2.FirstSeen.Equal(t0) || !b2.LastSeen.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("b2 first %s last %s; want first kept at %s, last refreshed", b2.FirstSeen, b2.LastSeen, t0)
	}
	if b2.URL != "https://alice:xxxxx@tsdb/api/v1/push?token=xxxxx&tenant=x" {
		t.Fatalf("stored URL %q is not redacted", b2.URL)
	}
	if b2.Settings != nil {
		t.Fatalf("settings of the refresh should replace the old ones: %+v", b2.Settings)
	}
	if err := s.DeleteBackend("b1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBackend("b1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if recs, _ := s.Backends(); len(recs) != 1 || recs[0].ID != "b2" {
		t.Fatalf("after delete: %+v", recs)
	}
	if err := s.PutBackend(BackendRecord{}); err == nil {
		t.Fatal("PutBackend accepted an empty id")
	}
}

func TestPutBackendEarlierFirstSeenWins(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	now, _ := fakeClock(t0)
	s, _ := openTemp(t, Options{Now: now})
	if err := s.PutBackend(BackendRecord{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	earlier := t0.Add(-24 * time.Hour)
	if err := s.PutBackend(BackendRecord{ID: "a", FirstSeen: earlier}); err != nil {
		t.Fatal(err)
	}
	if recs, _ := s.Backends(); !recs[0].FirstSeen.Equal(earlier) {
		t.Fatalf("FirstSeen %s, want the earlier %s", recs[0].FirstSeen, earlier)
	}
}

func TestUndecodableBackendRecordIsCorrupt(t *testing.T) {
	s, _ := openTemp(t, Options{})
	if err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(backendsBucket)).Put([]byte("bad"), []byte("{not json"))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Backends(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Backends: %v, want ErrCorrupt", err)
	}
	if err := s.PutBackend(BackendRecord{ID: "bad"}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("PutBackend over a bad record: %v, want ErrCorrupt", err)
	}
}
