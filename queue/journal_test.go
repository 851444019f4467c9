package queue

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prws/prws/internal/fsutil"
	"github.com/prws/prws/internal/powerfs"
)

func TestJournalFrames(t *testing.T) {
	var body []byte
	for _, e := range []string{"one", "", "three entries"} {
		body = appendEntry(body, []byte(e))
	}
	in := []frame{
		{kind: frameRecords, name: "queues/a/0000", first: 7, count: 3, body: body},
		{kind: frameReset, name: "queues/a/0000"},
		{kind: frameRecords, name: "queues/b/0001", first: 1, count: 1, body: appendEntry(nil, []byte("x"))},
	}
	var data []byte
	var ends []int
	for i := range in {
		data = in[i].appendTo(data)
		ends = append(ends, len(data))
	}
	out, damaged := decodeFrames(data)
	if damaged || len(out) != len(in) {
		t.Fatalf("decoded %d frames (damaged %v), want %d", len(out), damaged, len(in))
	}
	var got []string
	if err := out[0].eachEntry(func(i uint64, e []byte) error {
		got = append(got, fmt.Sprintf("%d:%s", i, e))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[7:one 8: 9:three entries]" || out[1].kind != frameReset || out[2].name != "queues/b/0001" {
		t.Fatalf("decoded %v, %+v", got, out[1:])
	}
	// A write cut off anywhere keeps the whole frames before the cut.
	for n := range len(data) {
		whole := 0
		for whole < len(ends) && ends[whole] <= n {
			whole++
		}
		out, damaged := decodeFrames(data[:n])
		if len(out) != whole || damaged != (whole == 0 && n > 0 || whole > 0 && ends[whole-1] != n) {
			t.Fatalf("cut at %d: %d frames (damaged %v), want %d", n, len(out), damaged, whole)
		}
	}
	// A flipped bit fails the CRC: the frames from there on are ignored.
	bad := bytes.Clone(data)
	bad[ends[0]+frameHeader+2] ^= 1
	if out, damaged := decodeFrames(bad); len(out) != 1 || !damaged {
		t.Fatalf("bit flip in frame 2: %d frames (damaged %v), want 1 and damaged", len(out), damaged)
	}
}

// journaledQueues are queues of one powerfs mount sharing a journal.
type journaledQueues struct {
	t     *testing.T
	disk  *powerfs.FS
	mnt   string
	jopts JournalOptions
	j     *Journal
	qs    []*Queue
	m     *Metrics
	gone  []func()
	// next and acked per queue: appended record numbers next..., and the
	// highest acknowledged one.
	next  []int
	acked []int
}

func newJournaledQueues(t *testing.T, n int, jopts JournalOptions) *journaledQueues {
	mnt, disk := powerfs.MountT(t)
	p := &journaledQueues{t: t, disk: disk, mnt: mnt, jopts: jopts, next: make([]int, n), acked: make([]int, n),
		qs: make([]*Queue, n), m: NewMetrics(nil)}
	for i := range p.acked {
		p.acked[i] = -1
		if err := fsutil.MkdirDurable(filepath.Dir(p.dir(i)), mnt, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, f := range p.gone {
			f()
		}
		p.close()
	})
	p.open()
	return p
}

func (p *journaledQueues) dir(i int) string {
	return filepath.Join(p.mnt, "queues", fmt.Sprintf("b%d", i), "0000")
}

func (p *journaledQueues) open() {
	p.t.Helper()
	j, err := OpenJournal(filepath.Join(p.mnt, "journal"), p.mnt, p.jopts)
	if err != nil {
		p.t.Fatalf("OpenJournal: %v", err)
	}
	p.j = j
	for i := range p.qs {
		q, err := Open(p.dir(i), Options{SegmentBytes: 8 << 10, Journal: j, Metrics: p.m})
		if err != nil {
			p.t.Fatalf("Open %d: %v", i, err)
		}
		p.qs[i] = q
	}
}

func (p *journaledQueues) close() {
	for _, q := range p.qs {
		if q != nil {
			_ = q.Close()
		}
	}
	if p.j != nil {
		_ = p.j.Close()
	}
	p.qs, p.j = make([]*Queue, len(p.qs)), nil
}

// cut stops the journal's checkpoints, cuts the power, abandons the
// queues and opens them again with a new journal.
func (p *journaledQueues) cut() {
	p.t.Helper()
	_ = p.j.Close() // queues still open: every file is kept
	if err := p.disk.PowerCut(); err != nil {
		p.t.Fatal(err)
	}
	qs := p.qs
	p.gone = append(p.gone, func() {
		for _, q := range qs {
			_ = q.Close()
		}
	})
	p.qs = make([]*Queue, len(qs))
	p.open()
}

// appendAll appends rounds records to every queue, each round one record
// per queue from concurrent goroutines, as one request's records go.
// Their commits share a journal cycle when they happen to meet in one.
func (p *journaledQueues) appendAll(rounds int) {
	p.t.Helper()
	p.appendRounds(rounds, false)
}

// appendTogether is appendAll with every round's commits in one journal
// cycle: a cycle held open until every queue waits for it.
func (p *journaledQueues) appendTogether(rounds int) {
	p.t.Helper()
	p.appendRounds(rounds, true)
}

func (p *journaledQueues) appendRounds(rounds int, together bool) {
	p.t.Helper()
	for range rounds {
		// together: a cycle held open by this test until every queue
		// waits for its end, then replaced, in one step, by the next one
		// with this test's share in it, given up once every queue joined.
		var hold *commitRound
		if together {
			hold = p.j.enter()
		}
		var wg sync.WaitGroup
		errs := make([]error, len(p.qs))
		for i, q := range p.qs {
			wg.Go(func() { errs[i] = q.Append(context.Background(), []Record{testRecord(p.next[i])}) })
		}
		if together {
			p.holdUntil(hold, "every queue waiting for the held cycle", func() bool { return p.j.waiting == len(p.qs) })
			next := p.handOver(hold)
			p.holdUntil(next, "every queue in the next cycle", func() bool { return next.undecided+next.n == len(p.qs)+1 })
			p.j.abstain(next)
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				p.t.Fatalf("queue %d: Append %d: %v", i, p.next[i], err)
			}
			p.next[i]++
		}
	}
}

// holdUntil waits until cond holds, under the journal's lock; when it
// never does, it gives up held (so the queues can close) and fails.
func (p *journaledQueues) holdUntil(held *commitRound, what string, cond func() bool) {
	p.t.Helper()
	for range 1000 {
		p.j.mu.Lock()
		ok := cond()
		p.j.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.j.abstain(held)
	p.t.Fatalf("timed out waiting for %s", what)
}

// handOver ends hold, which only this test joined, and starts the next
// cycle with this test's share in it, in one step: every queue woken by
// the end joins that cycle.
func (p *journaledQueues) handOver(hold *commitRound) *commitRound {
	j := p.j
	j.mu.Lock()
	hold.undecided, hold.writing = 0, true
	next := &commitRound{done: make(chan struct{}), undecided: 1}
	j.cur = next
	j.gen++
	j.ended.Broadcast()
	j.mu.Unlock()
	close(hold.done)
	return next
}

// verify drains every queue and checks that it delivers, in order,
// every record after its last acknowledged one, and nothing else but
// acknowledged records whose cursor update the cut lost (at-least-once).
func (p *journaledQueues) verify(what string) {
	p.t.Helper()
	for i, q := range p.qs {
		var got []int
		for _, s := range drain(p.t, q, 50) {
			got = append(got, parseNums(p.t, []byte(s))...)
		}
		want := p.acked[i] + 1
		if len(got) > 0 && got[0] < want {
			want = got[0] // resent from an acknowledged batch
		}
		for _, n := range got {
			if n != want {
				p.t.Fatalf("%s: queue %d delivered record %d, want %d (%d delivered, %d appended)", what, i, n, want, len(got), p.next[i])
			}
			want++
		}
		if want != p.next[i] {
			p.t.Fatalf("%s: queue %d delivered up to %d, appended up to %d", what, i, want-1, p.next[i]-1)
		}
		p.acked[i] = p.next[i] - 1
	}
}

// TestJournalPowerCut: queues sharing a journal keep every acknowledged
// record across power cuts, with checkpoints never, always and
// sometimes between the appends and the cut, and the journal's files do
// not outlive a checkpoint.
func TestJournalPowerCut(t *testing.T) {
	for _, every := range []time.Duration{time.Hour, time.Millisecond, 20 * time.Millisecond} {
		t.Run(every.String(), func(t *testing.T) {
			p := newJournaledQueues(t, 4, JournalOptions{Checkpoint: every})
			r := rand.New(rand.NewPCG(1, uint64(every)))
			for round := range 8 {
				p.appendRounds(1+r.IntN(100), round%2 == 0)
				p.cut()
				p.verify(fmt.Sprintf("round %d", round))
			}
			if every == time.Millisecond {
				p.appendAll(10)
				eventually(t, "the journal to keep only its current file", func() bool {
					files, _ := journalFiles(filepath.Join(p.mnt, "journal"))
					return len(files) == 1
				})
			}
		})
	}
}

// TestJournalFsyncFails: when the journal's fsync fails, the groups are
// fsynced in the queues' own logs (nothing acknowledged rests on the
// failed file), and the journal is written again, in a new file, after
// the next checkpoint.
func TestJournalFsyncFails(t *testing.T) {
	p := newJournaledQueues(t, 3, JournalOptions{Checkpoint: time.Hour})
	p.appendTogether(20)
	p.disk.FailNextFsync("*" + journalSuffix)
	p.appendTogether(1)
	if n := fallbacks(p); n != 3 {
		t.Fatalf("%v groups fsynced in their own log after the journal's fsync failed, want 3 (%+v)", n, p.disk.Stats())
	}
	before := fallbacks(p)
	p.appendTogether(5) // the failed file is never written again
	if fallbacks(p) == before {
		t.Fatal("the journal file whose fsync failed was written again")
	}
	if err := p.j.checkpoint(); err != nil {
		t.Fatal(err)
	}
	before = fallbacks(p)
	p.appendTogether(5)
	if fallbacks(p) != before {
		t.Fatal("the journal was not used again after a checkpoint started a new file")
	}
	p.cut()
	p.verify("after a failed journal fsync and a power cut")
}

func fallbacks(p *journaledQueues) float64 {
	sum := 0.0
	for i := range p.qs {
		sum += testutil.ToFloat64(p.m.journalFallback.WithLabelValues(defaultName(p.dir(i))))
	}
	return sum
}

// TestJournalCheckpointFsyncFails: a queue log whose fsync fails at a
// checkpoint is retired and reopened; its acknowledged records, held
// only by the journal then, are restored into the new log file, and the
// journal keeps its files until a checkpoint succeeds.
func TestJournalCheckpointFsyncFails(t *testing.T) {
	p := newJournaledQueues(t, 3, JournalOptions{Checkpoint: time.Hour})
	p.appendTogether(50)
	segs, err := p.qs[0].segments() // the same name in every queue: one of them fails
	if err != nil {
		t.Fatal(err)
	}
	p.disk.FailNextFsync(filepath.Base(segs[len(segs)-1].path))
	if err := p.j.checkpoint(); err == nil {
		t.Fatal("checkpoint succeeded although a queue's fsync failed")
	}
	if files, _ := journalFiles(filepath.Join(p.mnt, "journal")); len(files) < 2 {
		t.Fatalf("%d journal files after a failed checkpoint, want the old one kept", len(files))
	}
	for i, q := range p.qs {
		eventually(t, fmt.Sprintf("queue %d to reopen its log", i), func() bool { return !q.broken() })
	}
	p.appendAll(10)
	p.cut()
	p.verify("after a failed checkpoint fsync and a power cut")
}

// TestJournalQueueRecreated: a queue closed cleanly and made again empty
// under the same directory does not get the records the journal still
// holds for the old one.
func TestJournalQueueRecreated(t *testing.T) {
	p := newJournaledQueues(t, 3, JournalOptions{Checkpoint: time.Hour})
	p.appendTogether(30)
	if err := p.qs[0].Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(p.dir(0)); err != nil {
		t.Fatal(err)
	}
	q, err := Open(p.dir(0), Options{Journal: p.j, Metrics: p.m})
	if err != nil {
		t.Fatal(err)
	}
	p.qs[0], p.next[0], p.acked[0] = q, 1000, 999
	p.appendTogether(5)
	p.cut()
	p.verify("a queue made again, after a power cut")
}

// TestRestoreJournal: the offline restore puts the journal's records
// into the queues and removes its files, so a queue opened without a
// journal has them.
func TestRestoreJournal(t *testing.T) {
	p := newJournaledQueues(t, 3, JournalOptions{Checkpoint: time.Hour})
	p.appendTogether(40)
	_ = p.j.Close()
	if err := p.disk.PowerCut(); err != nil {
		t.Fatal(err)
	}
	qs := p.qs
	p.gone = append(p.gone, func() {
		for _, q := range qs {
			_ = q.Close()
		}
	})
	jdir := filepath.Join(p.mnt, "journal")
	if files, _ := journalFiles(jdir); len(files) == 0 {
		t.Fatal("no journal file survived the power cut")
	}
	if err := RestoreJournal(jdir, p.mnt, JournalOptions{}); err != nil {
		t.Fatal(err)
	}
	if files, _ := journalFiles(jdir); len(files) != 0 {
		t.Fatalf("%d journal files after RestoreJournal", len(files))
	}
	p.j, p.qs = nil, make([]*Queue, len(qs))
	for i := range p.qs {
		q, err := Open(p.dir(i), Options{})
		if err != nil {
			t.Fatal(err)
		}
		p.qs[i] = q
	}
	p.verify("after RestoreJournal")
}

// eventually polls cond every 10 ms for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
