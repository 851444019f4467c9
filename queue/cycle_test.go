package queue

import (
	"context"
	"sync"
	"testing"
)

// While one queue of a commit cycle is writing, another queue of the
// cycle does not start a commit of its own: what it is given meanwhile
// is written as one group, in the next cycle.
func TestCommitCycleGroupsAcrossQueues(t *testing.T) {
	cycle := NewCommitCycle()
	a := openTest(t, t.TempDir(), Options{CommitCycle: cycle})
	b := openTest(t, t.TempDir(), Options{CommitCycle: cycle})
	release := make(chan struct{})
	unblock := sync.OnceFunc(func() { close(release) })
	t.Cleanup(unblock) // before the queues close, should the test fail
	a.mu.Lock()
	inner := a.writeBatch
	a.writeBatch = func(l *walLog, batch *walBatch) error {
		<-release
		return inner(l, batch)
	}
	a.mu.Unlock()

	doneA := make(chan error, 1)
	a.Submit([]Record{testRecord(0)}, doneA)
	waitFor(t, func() bool { a.mu.Lock(); defer a.mu.Unlock(); return len(a.next.waiters) == 0 }) // a is writing
	const submits = 10
	dones := make([]chan error, submits)
	for i := range dones {
		dones[i] = make(chan error, 1)
		b.Submit([]Record{testRecord(i)}, dones[i])
		if i == 0 { // b's writer waits for a's commit to end
			waitFor(t, func() bool { cycle.mu.Lock(); defer cycle.mu.Unlock(); return cycle.waiting == 1 })
		}
	}
	unblock()
	if err := <-doneA; err != nil {
		t.Fatal(err)
	}
	for i, d := range dones {
		if err := <-d; err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
	}
	if got := b.fsyncs.Load(); got != 1 {
		t.Fatalf("%d submits during another queue's commit took %d group commits, want 1", submits, got)
	}
	equalStrings(t, drain(t, b, 1000), want(seq(0, submits)...))
}

// Many queues sharing a cycle, written concurrently, lose nothing and
// never deadlock.
func TestCommitCycleConcurrent(t *testing.T) {
	cycle := NewCommitCycle()
	qs := make([]*Queue, 4)
	for i := range qs {
		qs[i] = openTest(t, t.TempDir(), Options{CommitCycle: cycle})
	}
	const per = 50
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range per {
				recs := []Record{testRecord(w*per + i)}
				for _, q := range qs {
					if err := q.Append(context.Background(), recs); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for i, q := range qs {
		if got := len(drain(t, q, 1<<20)); got != 8*per {
			t.Fatalf("queue %d: %d records, want %d", i, got, 8*per)
		}
	}
}
