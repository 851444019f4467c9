package queue

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prws/prws/internal/fsutil"
	"github.com/prws/prws/internal/powerfs"
)

// The tests of this file run the queue on powerfs, a file system that
// keeps only what was fsynced — file data, and names through an fsync of
// their directory — and drop everything else at a simulated power cut.
// The queue is abandoned at the cut, as a power cut would leave it, and a
// new one is opened on what the disk kept. An abandoned queue stays idle
// (its files fail with EIO, but a name it looked up now would land in the
// new state) and is closed only when the test ends.

// powerCutQueue is a queue on a simulated disk with the bookkeeping of
// what must survive a power cut.
type powerCutQueue struct {
	t    *testing.T
	disk *powerfs.FS
	dir  string
	opts Options
	q    *Queue
	gone []*Queue // abandoned at a cut, closed at the end
	next int      // next record number to append
	// optional are records whose Append failed: delivered or not.
	optional map[int]bool
	acked    int // highest record number of a batch given to Ack; -1: none
	// jopts, when set, runs the queue with a Journal in <mount>/journal.
	jopts *JournalOptions
	mnt   string
	jgone []*Journal // journals abandoned at a cut or still open, closed at the end
}

func newPowerCutQueue(t *testing.T, opts Options) *powerCutQueue {
	return newPowerCutQueueWith(t, opts, nil)
}

// newPowerCutQueueWith is newPowerCutQueue with a journal when jopts is
// not nil.
func newPowerCutQueueWith(t *testing.T, opts Options, jopts *JournalOptions) *powerCutQueue {
	mnt, disk := powerfs.MountT(t)
	p := &powerCutQueue{t: t, disk: disk, dir: filepath.Join(mnt, "queues", "b", "0000"), opts: opts, acked: -1,
		optional: map[int]bool{}, jopts: jopts, mnt: mnt}
	// The daemon makes the backend directory durably before a queue in
	// it; Open makes the queue's own directory durable.
	if err := fsutil.MkdirDurable(filepath.Dir(p.dir), mnt, 0o750); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // before the unmount MountT registered
		for _, q := range append(p.gone, p.q) {
			_ = q.Close()
		}
		for _, j := range p.jgone {
			_ = j.Close()
		}
	})
	p.open()
	return p
}

func (p *powerCutQueue) open() {
	p.t.Helper()
	if p.jopts != nil {
		j, err := OpenJournal(filepath.Join(p.mnt, "journal"), p.mnt, *p.jopts)
		if err != nil {
			p.t.Fatalf("OpenJournal after a power cut: %v", err)
		}
		p.jgone = append(p.jgone, j)
		p.opts.Journal = j
	}
	q, err := Open(p.dir, p.opts)
	if err != nil {
		p.t.Fatalf("Open after a power cut: %v", err)
	}
	p.q = q
}

// cut cuts the power, abandons the queue and opens it again.
func (p *powerCutQueue) cut() {
	p.t.Helper()
	if j := p.opts.Journal; j != nil {
		// Its checkpoints must not touch the disk after the cut: Close
		// stops them and, with the queue still open, keeps every file.
		_ = j.Close()
	}
	if err := p.disk.PowerCut(); err != nil {
		p.t.Fatal(err)
	}
	p.gone = append(p.gone, p.q)
	p.open()
}

// appendN appends n records, in groups of 1..8.
func (p *powerCutQueue) appendN(r *rand.Rand, n int) {
	p.t.Helper()
	for n > 0 {
		k := min(n, 1+r.IntN(8))
		if err := p.q.Append(context.Background(), testRecords(p.next, k)); err != nil {
			p.t.Fatalf("Append %d..%d: %v", p.next, p.next+k-1, err)
		}
		p.next, n = p.next+k, n-k
	}
}

// consume takes up to batches batches, acknowledging each.
func (p *powerCutQueue) consume(batches, maxSamples int) {
	p.t.Helper()
	for range batches {
		b, ok, err := p.q.formBatch(maxSamples)
		if err != nil {
			p.t.Fatal(err)
		}
		if !ok {
			return
		}
		nums := parseNums(p.t, batchBody(p.t, b))
		if err := p.q.Ack(b); err != nil {
			p.t.Fatal(err)
		}
		p.acked = max(p.acked, nums[len(nums)-1])
	}
}

// verify drains the queue and checks that every appended record after
// the last one given to Ack is delivered (but those whose Append failed,
// which may be), in order, and nothing else.
func (p *powerCutQueue) verify(what string) {
	p.t.Helper()
	var got []int
	for _, s := range drain(p.t, p.q, 50) {
		got = append(got, parseNums(p.t, []byte(s))...)
	}
	seen := make(map[int]bool, len(got))
	for i, n := range got {
		if i > 0 && n <= got[i-1] {
			p.t.Fatalf("%s: record %d delivered after %d", what, n, got[i-1])
		}
		if n >= p.next {
			p.t.Fatalf("%s: delivered record %d, never appended", what, n)
		}
		seen[n] = true
	}
	for n := p.acked + 1; n < p.next; n++ {
		if !seen[n] && !p.optional[n] {
			p.t.Fatalf("%s: record %d was acknowledged and not consumed, and is gone (%d delivered, %d..%d expected)",
				what, n, len(got), p.acked+1, p.next-1)
		}
	}
	p.acked = p.next - 1
}

// truncate persists the cursor and removes what it allows.
func (p *powerCutQueue) truncate() {
	p.t.Helper()
	if err := p.q.persist(); err != nil {
		p.t.Fatal(err)
	}
	p.q.maybeTruncate()
}

func TestPowerCut(t *testing.T) {
	const seg = 64 << 10
	r := rand.New(rand.NewPCG(12, 12))
	for _, tc := range []struct {
		name string
		run  func(p *powerCutQueue)
	}{
		{"append", func(p *powerCutQueue) { p.appendN(r, 100) }},
		{"segment cycles", func(p *powerCutQueue) { p.appendN(r, 3*seg/(RecordOverhead+payloadLen)) }},
		{"truncation into the tail", func(p *powerCutQueue) {
			p.appendN(r, seg/(RecordOverhead+payloadLen)+500)
			p.consume(1<<20, 1000)
			p.truncate()
			if segs, _ := p.q.segments(); len(segs) != 1 {
				p.t.Fatalf("%d segments after draining and truncating, want the tail only", len(segs))
			}
			p.appendN(r, 200)
		}},
		{"truncation of older segments", func(p *powerCutQueue) {
			p.appendN(r, 4*seg/(RecordOverhead+payloadLen))
			p.consume(3, 2000)
			p.truncate()
			p.appendN(r, 200)
		}},
		{"reopen", func(p *powerCutQueue) {
			p.appendN(r, 100)
			p.cut()
			p.appendN(r, 100) // into a new tail file, named durably
		}},
	} {
		for _, jopts := range []*JournalOptions{nil, {Checkpoint: time.Hour}, {Checkpoint: time.Millisecond}} {
			name := tc.name
			if jopts != nil {
				name += fmt.Sprintf(", journal checkpoint %s", jopts.Checkpoint)
			}
			t.Run(name, func(t *testing.T) {
				p := newPowerCutQueueWith(t, Options{SegmentBytes: seg, TruncateSegments: 1}, jopts)
				tc.run(p)
				p.cut()
				p.verify("after the power cut")
				p.appendN(r, 10)
				p.cut()
				p.verify("after a second power cut")
			})
		}
	}
}

// TestPowerCutLoop mixes appends, deliveries and truncations with power
// cuts at random points, 25 times.
func TestPowerCutLoop(t *testing.T) {
	for _, jopts := range []*JournalOptions{nil, {Checkpoint: 3 * time.Millisecond}} {
		t.Run(fmt.Sprintf("journal %v", jopts != nil), func(t *testing.T) { powerCutLoop(t, jopts) })
	}
}

func powerCutLoop(t *testing.T, jopts *JournalOptions) {
	r := rand.New(rand.NewPCG(3, 4))
	p := newPowerCutQueueWith(t, Options{SegmentBytes: 4096, TruncateSegments: 1}, jopts)
	for round := range 25 {
		p.appendN(r, r.IntN(400))
		p.consume(r.IntN(6), 1+r.IntN(100))
		if r.IntN(2) == 0 {
			p.truncate()
			p.appendN(r, r.IntN(100))
		}
		p.cut()
		p.verify(fmt.Sprintf("round %d", round))
		if r.IntN(2) == 0 {
			p.truncate()
		}
	}
}

// TestPowerCutInterruptedTruncation: a crash left a truncation's .START
// file; the next Open completes it, and records appended after that
// survive a power cut (the completion's rename is made durable before
// anything is written into the renamed file).
func TestPowerCutInterruptedTruncation(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	p := newPowerCutQueue(t, Options{SegmentBytes: 4096})
	p.appendN(r, 300)
	p.consume(1, 100)
	if err := p.q.persist(); err != nil {
		t.Fatal(err)
	}
	segs, err := p.q.segments()
	if err != nil || len(segs) < 3 {
		t.Fatalf("segments %v, %v: want at least 3", segs, err)
	}
	// What TruncateFront writes first: the entries of the tail segment
	// from its first index on, as <index>.START, fsynced with its name.
	tail := segs[len(segs)-1]
	data, err := os.ReadFile(tail.path)
	if err != nil {
		t.Fatal(err)
	}
	start := filepath.Join(p.dir, segmentName(tail.index)+".START")
	if err := os.WriteFile(start, data, 0o640); err != nil {
		t.Fatal(err)
	}
	syncFile(t, start)
	if err := syncDir(p.dir); err != nil {
		t.Fatal(err)
	}
	p.cut() // the crash: Open completes the truncation
	if segs, _ := p.q.segments(); segs[0].index != tail.index {
		t.Fatalf("first segment %d after completing the truncation, want %d", segs[0].index, tail.index)
	}
	p.acked = max(p.acked, int(tail.index)-2) // records before the tail went with the truncation
	p.appendN(r, 100)
	p.cut()
	p.verify("after completing a truncation and a power cut")
}

func syncFile(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

// TestPowerCutAfterFailedFsync: an fsync of the tail fails the way Linux
// fails it (the unsynced data is dropped yet reads back as if written).
// The queue fails that group and writes everything after it into a new
// segment file, so a power cut keeps every record acknowledged before and
// after the failure; appending to the old file would have put them behind
// a hole that start-up repair cuts.
func TestPowerCutAfterFailedFsync(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	p := newPowerCutQueue(t, Options{SegmentBytes: 1 << 20})
	p.appendN(r, 100)
	segs, err := p.q.segments()
	if err != nil {
		t.Fatal(err)
	}
	p.disk.FailNextFsync(filepath.Base(segs[len(segs)-1].path))
	failed := testRecords(p.next, 5)
	if err := p.q.Append(context.Background(), failed); err == nil {
		t.Fatal("Append succeeded although its fsync failed")
	}
	for i := range failed {
		p.optional[p.next+i] = true
	}
	p.next += len(failed)
	p.appendN(r, 100)
	if after, _ := p.q.segments(); after[len(after)-1].index == segs[len(segs)-1].index {
		t.Fatalf("records after the failed fsync went to the same file %s", segs[len(segs)-1].path)
	}
	p.cut()
	p.verify("after a failed fsync and a power cut")
}
