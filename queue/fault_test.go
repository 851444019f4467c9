package queue

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// injectWrites replaces the queue's wal writer: fail decides, per call,
// whether to write the batch first and which error to return.
func injectWrites(q *Queue, fail func(call int) (write bool, err error)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	inner, call := q.writeBatch, 0
	q.writeBatch = func(l *walLog, b *walBatch) error {
		call++
		write, err := fail(call)
		if write {
			if werr := inner(l, b); werr != nil {
				return werr
			}
		}
		return err
	}
}

func TestWriteErrorRetiresLog(t *testing.T) {
	enospc := &fs.PathError{Op: "write", Path: "segment", Err: syscall.ENOSPC}
	eio := &fs.PathError{Op: "sync", Path: "segment", Err: syscall.EIO}
	for _, tc := range []struct {
		name     string
		write    bool // the failing call reaches the disk before failing (fsync error)
		err      error
		diskFull bool
	}{
		{"ENOSPC before writing", false, enospc, true},
		{"fsync error after writing", true, eio, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			reg := prometheus.NewRegistry()
			q := openTest(t, dir, Options{Metrics: NewMetrics(reg)})
			appendRange(t, q, 0, 5)
			injectWrites(q, func(call int) (bool, error) {
				if call == 1 {
					return tc.write, tc.err
				}
				return true, nil
			})
			err := q.Append(context.Background(), []Record{testRecord(5)})
			if err == nil || errors.Is(err, ErrDiskFull) != tc.diskFull {
				t.Fatalf("failed append: %v (want ErrDiskFull: %v)", err, tc.diskFull)
			}
			if got := metricValue(t, reg, "prws_queue_retired_logs_total"); got != 1 {
				t.Fatalf("retired logs %v, want 1", got)
			}
			appendRange(t, q, 6, 3) // later submits succeed on the reopened log
			got := parseNums(t, []byte(join(drain(t, q, 100))))
			exp := []int{0, 1, 2, 3, 4, 6, 7, 8}
			if tc.write { // the failed record reached the disk: delivered too
				exp = []int{0, 1, 2, 3, 4, 5, 6, 7, 8}
			}
			equalStrings(t, want(got...), want(exp...))
		})
	}
}

func TestWriteErrorFailsFormingGroup(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{})
	appendRange(t, q, 0, 2)
	release := make(chan struct{})
	injectWrites(q, func(call int) (bool, error) {
		if call == 1 {
			<-release
			return false, syscall.EIO
		}
		return true, nil
	})
	first, second := make(chan error, 1), make(chan error, 1)
	q.Submit([]Record{testRecord(2)}, first)
	waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.next.waiters) == 0 })
	q.Submit([]Record{testRecord(3)}, second) // forms the next group
	close(release)
	if err := <-first; !errors.Is(err, syscall.EIO) {
		t.Fatalf("failed group: %v", err)
	}
	if err := <-second; !errors.Is(err, syscall.EIO) {
		t.Fatalf("forming group: %v", err)
	}
	appendRange(t, q, 4, 1)
	equalStrings(t, drain(t, q, 100), want(0, 1, 4))
}

func TestReopenFailureRetriedAtNextSubmit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "q")
	q := openTest(t, dir, Options{})
	appendRange(t, q, 0, 3)
	// Make reopening impossible: the directory is replaced by a file.
	moved := dir + ".moved"
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	injectWrites(q, func(call int) (bool, error) {
		if call == 1 {
			return false, syscall.EIO
		}
		return true, nil
	})
	if err := q.Append(context.Background(), testRecords(3, 1)); err == nil {
		t.Fatal("append on a failing disk succeeded")
	}
	for range 3 {
		err := q.Append(context.Background(), testRecords(3, 1))
		if err == nil || !errors.Is(err, syscall.ENOTDIR) {
			t.Fatalf("append while the log cannot reopen: %v", err)
		}
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(moved, dir); err != nil {
		t.Fatal(err)
	}
	// A Submit does not wait for the reopen: the first ones after the
	// disk is back may still answer the last reopen's error, and wake
	// the writer, which reopens the log.
	for i := 0; q.Append(context.Background(), testRecords(3, 1)) != nil; i++ {
		if i == 1_000_000 {
			t.Fatal("the log never reopened once the directory was back")
		}
		yield()
	}
	appendRange(t, q, 4, 1)
	equalStrings(t, drain(t, q, 100), want(0, 1, 2, 3, 4))
}

func TestMaxBytesBudget(t *testing.T) {
	dir := t.TempDir()
	q := openTest(t, dir, Options{SegmentBytes: corruptSegBytes, MaxBytes: 2000})
	n := 0
	for ; n < 1000; n++ {
		err := q.Append(context.Background(), []Record{testRecord(n)})
		if errors.Is(err, ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if n == 1000 || n < 2000/(1+RecordOverhead+payloadLen)-1 {
		t.Fatalf("budget hit after %d records", n)
	}
	equalStrings(t, drain(t, q, 100), want(seq(0, n)...))
	q.persist()
	q.maybeTruncate()
	appendRange(t, q, n, 1) // space freed by acknowledgement
	equalStrings(t, drain(t, q, 100), want(n))
}

// join concatenates payloads.
func join(parts []string) string {
	var s string
	for _, p := range parts {
		s += p
	}
	return s
}

// TestSubmitDoesNotWaitForReopen: while the writer reopens a retired log
// (held here at truncMu, where a long repair would keep it), a Submit is
// answered at once with the reason instead of waiting.
func TestSubmitDoesNotWaitForReopen(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{})
	appendRange(t, q, 0, 2)
	injectWrites(q, func(call int) (bool, error) {
		if call == 1 {
			return false, syscall.EIO
		}
		return true, nil
	})
	q.truncMu.Lock()
	first := make(chan error, 1)
	q.Submit(testRecords(2, 1), first)
	waitFor(t, q.broken)
	second := make(chan error, 1)
	q.Submit(testRecords(3, 1), second)
	if err := <-second; !errors.Is(err, syscall.EIO) {
		t.Fatalf("submit during the reopen: %v, want the write error", err)
	}
	q.truncMu.Unlock()
	if err := <-first; !errors.Is(err, syscall.EIO) {
		t.Fatalf("failed group: %v", err)
	}
	appendRange(t, q, 4, 1)
	equalStrings(t, drain(t, q, 100), want(0, 1, 4))
}
