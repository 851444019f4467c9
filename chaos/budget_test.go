package chaos

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prws/prws/internal/testenv"
)

// TestDiskBudget: with --max-queue-bytes, a down backend's backlog stops
// at the budget and requests routed to it get 503 with Retry-After, while
// requests routed only to the healthy backend keep being acknowledged.
func TestDiskBudget(t *testing.T) {
	r := &row{Scenario: "disk budget", Injected: "--max-queue-bytes 512 KiB, backend b down"}
	report(t, r)
	a, b := newBackend(t), newBackend(t)
	b.Set(testenv.Status(http.StatusServiceUnavailable, ""))
	w := newWorld(t, 2, a, b)
	dir, listen := t.TempDir(), testenv.FreeAddr(t)
	args := []string{"--data-dir", dir, "--promes", w.promes(), "--max-queue-bytes", "524288", "--queue-segment-bytes", "65536",
		"--remote_write_min_wait", "10ms", "--remote_write_max_wait", "100ms"}
	p := startProc(t, listen, args...)
	var onlyA []uint32
	for id := uint32(5000); len(onlyA) < 1000 && id < 20000; id++ {
		if w.route(id)[0] == 0 {
			onlyA = append(onlyA, id)
		}
	}
	mixed, aLoad := newLoad(p.url, 1000, 100), newLoadOf(p.url, onlyA, 100)
	var firstFull = -1
	for i := 0; i < 8000 && firstFull < 0; i++ {
		code, hdr := mixed.OneHeader()
		if code == http.StatusServiceUnavailable {
			firstFull = i
			if hdr.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		} else if code != http.StatusNoContent {
			t.Fatalf("mixed write %d: %d", i, code)
		}
	}
	if firstFull < 0 {
		t.Fatal("the budget never pushed back")
	}
	codes := map[string]map[int]int{"mixed": {}, "a-only": {}}
	for i := 0; i < 100; i++ {
		code, _ := mixed.OneHeader()
		codes["mixed"][code]++
		code, _ = aLoad.OneHeader()
		codes["a-only"][code]++
	}
	if codes["mixed"][http.StatusServiceUnavailable] < 95 {
		t.Errorf("requests routed to the full backend: %v, want 503", codes["mixed"])
	}
	if codes["a-only"][http.StatusNoContent] != 100 {
		t.Errorf("requests routed only to the healthy backend: %v, want all 204", codes["a-only"])
	}
	b.Set(nil)
	eventually(t, 30*time.Second, "back-pressure to lift", func() bool {
		code, _ := mixed.OneHeader()
		return code == http.StatusNoContent
	})
	tm, ta := w.drainT(t, mixed, 30*time.Second), w.drainT(t, aLoad, 30*time.Second)
	r.Acked, r.Delivered, r.Lost, r.Dup = tm.acked+ta.acked, tm.delivered+ta.delivered, tm.lost+ta.lost, tm.dup
	mixed.CheckUnexpected(t)
	r.Note = fmt.Sprintf("503 from request %d (of 100 samples); then %v", firstFull, codes)
}

// TestDiskBudgetDropOldest: with --queue-full-policy drop-oldest, a down
// backend's queues stay within the budget by dropping their oldest
// segments; every request is acknowledged; the samples lost are exactly
// the ones counted dropped; everything else arrives when the backend
// returns.
func TestDiskBudgetDropOldest(t *testing.T) {
	r := &row{Scenario: "disk budget, drop-oldest", Injected: "--max-queue-bytes 512 KiB drop-oldest, b down"}
	report(t, r)
	a, b := newBackend(t), newBackend(t)
	b.Set(testenv.Status(http.StatusServiceUnavailable, ""))
	w := newWorld(t, 2, a, b)
	dir, listen := t.TempDir(), testenv.FreeAddr(t)
	args := []string{"--data-dir", dir, "--promes", w.promes(), "--max-queue-bytes", "524288",
		"--queue-segment-bytes", "65536", "--queue-full-policy", "drop-oldest",
		"--remote_write_min_wait", "10ms", "--remote_write_max_wait", "100ms"}
	p := startProc(t, listen, args...)
	l := newLoad(p.url, 1000, 100)
	n := pick(2000, 5000)
	codes := map[int]int{}
	for i := 0; i < n; i++ {
		codes[l.One(p.url)]++
	}
	if codes[http.StatusNoContent] != n {
		t.Errorf("answers with a full queue: %v, want %d × 204", codes, n)
	}
	droppedSamples := int64(p.metric(t, "prws_queue_dropped_samples_total"))
	droppedRecords := int64(p.metric(t, "prws_queue_dropped_records_total"))
	if droppedSamples <= 0 {
		t.Fatalf("nothing dropped after %d requests:\n%s", n, p.Log.String())
	}
	b.Set(nil)
	var tl tally
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		if tl = w.tally(l); tl.lost <= droppedSamples || time.Now().After(deadline) {
			break
		}
	}
	time.Sleep(time.Second) // a dropped sample arriving late would lower lost
	tl = w.tally(l)
	r.Acked, r.Delivered, r.Lost, r.Dup = tl.acked, tl.delivered, tl.lost, tl.dup
	if tl.lost != droppedSamples {
		t.Errorf("lost %d samples, counted dropped %d (first missing: %s)", tl.lost, droppedSamples, tl.firstMissing)
	}
	warns := strings.Count(p.Log.String(), "dropped the oldest records")
	if warns == 0 {
		t.Error("no Warn line for the drops")
	}
	l.CheckUnexpected(t)
	r.Note = fmt.Sprintf("answers %v; lost == prws_queue_dropped_samples_total %d (%d records, %d Warn lines); the rest delivered after b returned",
		codes, droppedSamples, droppedRecords, warns)
}
