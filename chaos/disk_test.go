package chaos

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/internal/testenv"
	"github.com/prws/prws/router"
)

// damage is one on-disk fault applied to a stopped queue directory.
type damage struct {
	name    string
	apply   func(t *testing.T, segs []string)
	log     string // what the start-up log must mention
	lossy   bool   // the fault destroys acknowledged records
	maxLost func(acked int64, segs int) int64
	corrupt bool // the corrupt-records counter must move
}

var damages = []damage{
	{name: "torn tail", apply: func(t *testing.T, s []string) { truncateBy(t, s[len(s)-1], 7) },
		log: "cut torn wal tail", lossy: true, maxLost: func(int64, int) int64 { return 100 }},
	{name: "zero-filled tail", apply: func(t *testing.T, s []string) { appendBytes(t, s[len(s)-1], make([]byte, 4096)) },
		log: "cut torn wal tail"},
	{name: "garbage tail", apply: func(t *testing.T, s []string) {
		appendBytes(t, s[len(s)-1], []byte{0x83, 0x01, 'g', 'a', 'r', 'b', 'a', 'g', 'e', 0xff, 0, 0, 0, 0, 0, 0})
	}, log: "cut torn wal tail"},
	{name: "bit flip in older segment", apply: func(t *testing.T, s []string) { testenv.FlipInSecondRecord(t, s[0]) },
		lossy: true, corrupt: true, maxLost: func(int64, int) int64 { return 100 }},
	{name: "deleted middle segment", apply: func(t *testing.T, s []string) {
		if err := os.Remove(s[len(s)/2]); err != nil {
			t.Fatal(err)
		}
	}, log: "missing wal segment", lossy: true, corrupt: true,
		maxLost: func(acked int64, segs int) int64 { return 2 * acked / int64(segs-1) }},
}

// TestOnDiskFaults damages the stopped binary's queue between two runs and
// checks what the next start-up found and did: good records delivered,
// bad ones counted and never sent, no crash loop.
func TestOnDiskFaults(t *testing.T) {
	for _, dm := range damages {
		t.Run(strings.ReplaceAll(dm.name, " ", "_"), func(t *testing.T) {
			r := &row{Scenario: "on-disk: " + dm.name, Injected: "between runs, backlog of one queue"}
			report(t, r)
			b := newBackend(t)
			b.Set(testenv.Status(http.StatusServiceUnavailable, ""))
			w := newWorld(t, 1, b)
			dir, listen := t.TempDir(), testenv.FreeAddr(t)
			args := []string{"--data-dir", dir, "--promes", w.promes(), "--shard", "1", "--queue-segment-bytes", "32768",
				"--remote_write_min_wait", "10ms", "--remote_write_max_wait", "50ms"}
			p := startProc(t, listen, args...)
			l := newLoad(p.url, 1000, 100)
			for i := 0; i < 300; i++ {
				if code := l.One(p.url); code != http.StatusNoContent {
					t.Fatalf("write: %d", code)
				}
			}
			id, _ := router.BackendID(b.URL())
			qdir := datadir.QueueDir(dir, id, 0)
			for i := 0; i < 20 && lastSegmentSize(t, qdir) < 1024; i++ {
				l.One(p.url) // the tail faults need a non-empty last segment
			}
			p.Kill()
			segs := testenv.Segments(t, qdir)
			if len(segs) < 4 {
				t.Fatalf("want >= 4 segments, got %d", len(segs))
			}
			dm.apply(t, segs)
			b.Set(nil)
			p = startProc(t, listen, args...)
			eventually(t, 30*time.Second, "the queue to drain", func() bool { return pending(t, p) == 0 })
			tl := w.tally(l)
			r.Acked, r.Delivered, r.Lost, r.Dup = tl.acked, tl.delivered, tl.lost, tl.dup
			corrupt := p.metric(t, "prws_queue_corrupt_records_total")
			r.Note = fmt.Sprintf("%d segments; corrupt records counted %v; log: %s", len(segs), corrupt, repairLines(p.Log.String()))
			switch {
			case !dm.lossy && tl.lost != 0:
				t.Errorf("%d samples lost to a fault that destroys nothing acknowledged", tl.lost)
			case dm.lossy && (tl.lost == 0 || tl.lost > dm.maxLost(tl.acked, len(segs))):
				t.Errorf("%d samples lost, want between 1 and %d", tl.lost, dm.maxLost(tl.acked, len(segs)))
			}
			if tl.dup != 0 {
				t.Errorf("%d duplicates", tl.dup)
			}
			if dm.corrupt && corrupt < 1 {
				t.Errorf("corrupt records counted: %v, want >= 1", corrupt)
			}
			if dm.log != "" && !strings.Contains(p.Log.String(), dm.log) {
				t.Errorf("start-up log does not mention %q:\n%s", dm.log, p.Log.String())
			}
			time.Sleep(300 * time.Millisecond)
			if code := p.exited(0); code != -1 {
				t.Errorf("prws exited (%d) after repairing:\n%s", code, p.Log.String())
			}
			// A second restart finds nothing more to repair and loses nothing more.
			p.Kill()
			p = startProc(t, listen, args...)
			if strings.Contains(p.Log.String(), "level=ERROR") {
				t.Errorf("second start-up logs an error:\n%s", p.Log.String())
			}
		})
	}
}

// repairLines extracts the level=WARN/ERROR lines of a log, shortened.
func repairLines(log string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			if i := strings.Index(l, "msg="); i >= 0 {
				l = l[i+4:]
			}
			if len(l) > 90 {
				l = l[:90] + "…"
			}
			out = append(out, l)
		}
	}
	return strings.Join(out, " | ")
}

// pending returns the samples pending in every queue of p (-1 on error).
func pending(t *testing.T, p *proc) int64 {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + p.listen + adminapi.PathQueues)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var qs []adminapi.QueueStatus
	if err := json.NewDecoder(resp.Body).Decode(&qs); err != nil {
		return -1
	}
	var n int64
	for _, q := range qs {
		n += int64(q.PendingSamples)
	}
	return n
}

// TestStateLocked: a second prws on a data dir in use fails fast, naming
// the holder, and leaves the first one serving.
func TestStateLocked(t *testing.T) {
	r := &row{Scenario: "state.db locked", Injected: "second prws on the same data dir"}
	report(t, r)
	b := newBackend(t)
	dir := t.TempDir()
	first := startProc(t, testenv.FreeAddr(t), "--data-dir", dir, "--promes", b.URL())
	began := time.Now()
	second := launch(t, testenv.FreeAddr(t), nil, "--data-dir", dir, "--promes", b.URL())
	code := second.exited(5 * time.Second)
	took := time.Since(began)
	msg := strings.TrimSpace(second.Log.String())
	r.Note = fmt.Sprintf("exit %d after %v: %s", code, took.Round(time.Millisecond), firstLine(msg))
	panicked(t, r, msg)
	if code <= 0 {
		t.Fatalf("second prws: exit %d within 5s, want non-zero:\n%s", code, msg)
	}
	if !strings.Contains(msg, strconv.Itoa(first.Cmd.Process.Pid)) {
		t.Errorf("message does not name the holder pid %d: %s", first.Cmd.Process.Pid, msg)
	}
	if !first.waitReady(time.Second) {
		t.Error("first prws no longer ready")
	}
}

// TestStateCorrupt: a damaged state.db stops start-up with a clear error
// and a non-zero exit, and the file is left as it was.
func TestStateCorrupt(t *testing.T) {
	for _, c := range []struct {
		name  string
		apply func([]byte) []byte
	}{
		{"garbage", func(b []byte) []byte { return bytes.Repeat([]byte("not a bolt file "), len(b)/16) }},
		{"meta pages zeroed", func(b []byte) []byte { clear(b[:8192]); return b }},
		{"truncated", func(b []byte) []byte { return b[:100] }},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			r := &row{Scenario: "state.db corrupt: " + c.name, Injected: "state.db rewritten between runs"}
			report(t, r)
			b := newBackend(t)
			dir, listen := t.TempDir(), testenv.FreeAddr(t)
			args := []string{"--data-dir", dir, "--promes", b.URL()}
			p := startProc(t, listen, args...)
			p.Kill()
			path := datadir.StatePath(dir)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			data = c.apply(data)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			before := sha256.Sum256(data)
			p = launch(t, listen, nil, args...)
			code := p.exited(10 * time.Second)
			msg := strings.TrimSpace(p.Log.String())
			r.Note = fmt.Sprintf("exit %d: %s", code, firstLine(msg))
			panicked(t, r, msg)
			if code <= 0 {
				t.Fatalf("exit %d, want non-zero:\n%s", code, msg)
			}
			if !strings.Contains(msg, "state.db") {
				t.Errorf("error does not name state.db: %s", msg)
			}
			after, _ := os.ReadFile(path)
			if sha256.Sum256(after) != before {
				t.Error("state.db was modified")
			}
		})
	}
}

func lastSegmentSize(t *testing.T, qdir string) int64 {
	segs := testenv.Segments(t, qdir)
	if len(segs) == 0 {
		return 0
	}
	st, err := os.Stat(segs[len(segs)-1])
	if err != nil {
		return 0
	}
	return st.Size()
}

func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func truncateBy(t *testing.T, path string, n int64) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, st.Size()-n); err != nil {
		t.Fatal(err)
	}
}

// TestStateFlockedByOther: a process other than prws holds state.db's
// lock; start-up fails fast with a clear message instead of hanging.
func TestStateFlockedByOther(t *testing.T) {
	r := &row{Scenario: "state.db flocked by other", Injected: "flock -x state.db held by another process"}
	report(t, r)
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock(1) not installed")
	}
	b := newBackend(t)
	dir, listen := t.TempDir(), testenv.FreeAddr(t)
	args := []string{"--data-dir", dir, "--promes", b.URL()}
	startProc(t, listen, args...).Kill()
	holder := exec.Command("flock", "-x", datadir.StatePath(dir), "sleep", "30")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	time.Sleep(200 * time.Millisecond)
	began := time.Now()
	p := launch(t, listen, nil, args...)
	code := p.exited(10 * time.Second)
	msg := strings.TrimSpace(p.Log.String())
	r.Note = fmt.Sprintf("exit %d after %v: %s", code, time.Since(began).Round(time.Millisecond), firstLine(msg))
	panicked(t, r, msg)
	if code <= 0 {
		t.Fatalf("exit %d within 10s, want non-zero:\n%s", code, msg)
	}
	if !strings.Contains(msg, "state.db") {
		t.Errorf("error does not name state.db: %s", msg)
	}
}
