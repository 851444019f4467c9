package chaos

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestDiskBudget: with --max-queue-bytes, a down backend's backlog stops
// at the budget and requests routed to it get 503 with Retry-After, while
// requests routed only to the healthy backend keep being acknowledged.
func TestDiskBudget(t *testing.T) {
	r := &row{Scenario: "disk budget", Injected: "--max-queue-bytes 1 MiB, backend b down"}
	report(t, r)
	a, b := newBackend(t), newBackend(t)
	b.set(status(http.StatusServiceUnavailable, ""))
	w := newWorld(t, 2, a, b)
	dir, listen := t.TempDir(), freePort(t)
	args := []string{"--data-dir", dir, "--promes", w.promes(), "--max-queue-bytes", "1048576", "--queue-segment-bytes", "131072",
		"--remote_write_min_wait", "10ms", "--remote_write_max_wait", "100ms"}
	p := startProc(t, listen, args...)
	var onlyA []uint32
	for id := uint32(5000); len(onlyA) < 1000 && id < 20000; id++ {
		if w.route(id)[0] == 0 {
			onlyA = append(onlyA, id)
		}
	}
	mixed, aLoad := newLoad(p.url, 1000, 100), newLoad(p.url, 0, 100)
	aLoad.ids = onlyA
	var firstFull = -1
	for i := 0; i < 2000 && firstFull < 0; i++ {
		code, hdr := mixed.oneHeader()
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
		code, _ := mixed.oneHeader()
		codes["mixed"][code]++
		code, _ = aLoad.oneHeader()
		codes["a-only"][code]++
	}
	if codes["mixed"][http.StatusServiceUnavailable] < 95 {
		t.Errorf("requests routed to the full backend: %v, want 503", codes["mixed"])
	}
	if codes["a-only"][http.StatusNoContent] != 100 {
		t.Errorf("requests routed only to the healthy backend: %v, want all 204", codes["a-only"])
	}
	b.set(nil)
	eventually(t, 30*time.Second, "back-pressure to lift", func() bool {
		code, _ := mixed.oneHeader()
		return code == http.StatusNoContent
	})
	tm, ta := w.drainT(t, mixed, 30*time.Second), w.drainT(t, aLoad, 30*time.Second)
	r.Acked, r.Delivered, r.Lost, r.Dup = tm.acked+ta.acked, tm.delivered+ta.delivered, tm.lost+ta.lost, tm.dup
	mixed.checkUnexpected(t)
	r.Note = fmt.Sprintf("503 from request %d (of 100 samples); then %v", firstFull, codes)
}
