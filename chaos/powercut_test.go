package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/config"
	"github.com/prws/prws/internal/powerfs"
	"github.com/prws/prws/internal/testenv"
	"github.com/prws/prws/replay"
)

// powerCutCase is one row of the power-cut table: the real binary with
// its data dir on powerfs (a file system keeping only what was fsynced,
// data and directory entries alike), killed with SIGKILL and then its
// disk power-cut every 0.5–3 s under load.
type powerCutCase struct {
	shards  int
	segment string // --queue-segment-bytes; "" for the default
	mode    string // backends: "up", "flapping" or "down then up"
	cycles  int
}

func (c powerCutCase) name() string {
	seg := c.segment
	if seg == "" {
		seg = "default"
	}
	return fmt.Sprintf("shards %d, segments %s, backends %s", c.shards, seg, c.mode)
}

// TestPowerCutLoop: nothing acknowledged is lost across kill -9 plus
// power cuts, every restart is ready on the first try, and duplicates
// stay within the in-flight batches of the crashes.
func TestPowerCutLoop(t *testing.T) {
	var cases []powerCutCase
	if full {
		for _, shards := range []int{1, 2, 4} {
			for _, seg := range []string{"65536", ""} {
				for _, mode := range []string{"up", "flapping", "down then up"} {
					cases = append(cases, powerCutCase{shards, seg, mode, 20})
				}
			}
		}
	} else {
		cases = []powerCutCase{{2, "65536", "flapping", 4}, {1, "", "down then up", 3}}
	}
	for _, c := range cases {
		t.Run(c.name(), func(t *testing.T) { runPowerCut(t, c) })
	}
}

func runPowerCut(t *testing.T, c powerCutCase) {
	r := &row{Scenario: "power cut: " + c.name(), Injected: fmt.Sprintf("SIGKILL + power cut every 0.5-3s, %d times", c.cycles)}
	report(t, r)
	mnt, disk := powerfs.MountT(t)
	a, b := newBackend(t), newBackend(t)
	switch c.mode {
	case "flapping":
		a.Set(flapping(700 * time.Millisecond))
		b.Set(flapping(1100 * time.Millisecond))
	case "down then up":
		a.Set(testenv.Status(http.StatusServiceUnavailable, ""))
		b.Set(testenv.Status(http.StatusServiceUnavailable, ""))
	}
	w := newWorld(t, c.shards, a, b)
	const batch = 500
	args := []string{"--data-dir", filepath.Join(mnt, "data"), "--promes", w.promes(), "--shard", fmt.Sprint(c.shards),
		"--batch", fmt.Sprint(batch), "--remote_write_min_wait", "10ms", "--remote_write_max_wait", "200ms"}
	if c.segment != "" {
		args = append(args, "--queue-segment-bytes", c.segment)
	}
	listen := testenv.FreeAddr(t)
	p := startProc(t, listen, args...)
	l := newLoad(p.url, 2000, 50)
	stop := l.Run(4, 2*time.Millisecond)
	defer stop()
	var ready []time.Duration
	for i := 0; i < c.cycles; i++ {
		time.Sleep(time.Duration(500+rand.IntN(2500)) * time.Millisecond)
		p.Kill()
		if err := disk.PowerCut(); err != nil {
			t.Fatalf("power cut %d: %v", i+1, err)
		}
		p = startProc(t, listen, args...) // fails the test unless ready on the first try
		ready = append(ready, p.ready)
	}
	stop()
	a.Set(nil)
	b.Set(nil)
	tl := w.drain(t, l, 90*time.Second, r)
	l.CheckUnexpected(t)
	bound := int64(c.cycles * 2 * c.shards * batch * replay.BatchesInFlight(config.Defaults().MaxInFlight))
	if tl.dup > bound {
		t.Errorf("%d duplicate deliveries, more than the in-flight batches of %d crashes allow (%d)", tl.dup, c.cycles, bound)
	}
	st := disk.Stats()
	r.Note = fmt.Sprintf("%d cycles; starts ready after %s; dup bound %d; %d file and %d directory fsyncs",
		c.cycles, spread(ready), bound, st.FileSyncs, st.DirSyncs)
	t.Logf("%+v; %s", tl, r.Note)
}

// spread formats the least, median and largest of ds.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	s := append([]time.Duration(nil), ds...)
	for i := range s { // insertion sort: a few dozen values
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	f := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	return strings.Join([]string{f(s[0]), f(s[len(s)/2]), f(s[len(s)-1])}, "/") + " (min/median/max)"
}

// seriesBatch is a snappy remote-write request of n series named
// name{i="0".."n-1"}, one sample each.
func seriesBatch(t *testing.T, name string, n int) []byte {
	ts := make([]prompb.TimeSeries, n)
	for i := range ts {
		ts[i] = one("__name__", name, "i", fmt.Sprint(i))
	}
	return snappy.Encode(nil, encodeWR(t, ts))
}

// TestPowerCutLimiterWindow: the series admitted in this hour's window
// (--max_hourly_series) are still counted after kill -9 and a power cut,
// so the limit is not reset by one.
func TestPowerCutLimiterWindow(t *testing.T) {
	r := &row{Scenario: "power cut: limiter window", Injected: "SIGKILL + power cut after the window was saved"}
	report(t, r)
	if left := time.Until(time.Now().UTC().Truncate(time.Hour).Add(time.Hour)); left < 30*time.Second {
		time.Sleep(left + time.Second) // keep the test inside one hourly window
	}
	mnt, disk := powerfs.MountT(t)
	be := newBackend(t)
	w := newWorld(t, 2, be)
	args := []string{"--data-dir", filepath.Join(mnt, "data"), "--promes", w.promes(), "--max_hourly_series", "50"}
	listen := testenv.FreeAddr(t)
	p := startProc(t, listen, args...)
	c := &http.Client{Timeout: 10 * time.Second}
	if code, msg := post(c, p.url, seriesBatch(t, "admitted", 50), nil); code != http.StatusNoContent {
		t.Fatalf("first 50 series: %d %s", code, msg)
	}
	time.Sleep(2500 * time.Millisecond) // the window is saved every second
	p.Kill()
	if err := disk.PowerCut(); err != nil {
		t.Fatal(err)
	}
	p = startProc(t, listen, args...)
	if code, msg := post(c, p.url, seriesBatch(t, "beyond", 50), nil); code != http.StatusNoContent {
		t.Fatalf("50 new series: %d %s", code, msg)
	}
	dropped := p.metric(t, "prws_hourly_series_limit_rows_drop_total")
	if dropped != 50 {
		t.Errorf("%v samples dropped by the hourly limit after the power cut, want 50: the window was forgotten", dropped)
	}
	r.Note = fmt.Sprintf("%v of 50 new series dropped after the power cut", dropped)
}

// TestPowerCutDeadLetters: a batch dead-lettered before kill -9 and a
// power cut is still listed after them.
func TestPowerCutDeadLetters(t *testing.T) {
	r := &row{Scenario: "power cut: dead letters", Injected: "backend 422, then SIGKILL + power cut"}
	report(t, r)
	mnt, disk := powerfs.MountT(t)
	be := newBackend(t)
	be.Set(refuseData(http.StatusUnprocessableEntity))
	w := newWorld(t, 1, be)
	data := filepath.Join(mnt, "data")
	args := []string{"--data-dir", data, "--promes", w.promes(), "--shard", "1", "--remote_write_min_wait", "10ms"}
	listen := testenv.FreeAddr(t)
	p := startProc(t, listen, args...)
	c := &http.Client{Timeout: 10 * time.Second}
	if code, msg := post(c, p.url, seriesBatch(t, "refused", 5), nil); code != http.StatusNoContent {
		t.Fatalf("write: %d %s", code, msg)
	}
	for i := 0; i < 100 && p.metric(t, "prws_remote_dead_letter_samples_total") < 5; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	before := deadLetterNames(t, data)
	if len(before) == 0 {
		t.Fatal("no dead letter written")
	}
	p.Kill()
	if err := disk.PowerCut(); err != nil {
		t.Fatal(err)
	}
	after := deadLetterNames(t, data)
	for _, n := range before {
		if !slices.Contains(after, n) {
			t.Errorf("dead letter %s listed before the power cut is gone after it (now: %v)", n, after)
		}
	}
	r.Note = fmt.Sprintf("%d dead letters before, %d after", len(before), len(after))
}

// deadLetterNames lists the dead letters of a stopped data dir with the
// CLI, as an operator would.
func deadLetterNames(t *testing.T, data string) []string {
	t.Helper()
	out, err := exec.Command(binPath, "deadletter", "list", "--data-dir", data, "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("prws deadletter list: %v\n%s", err, out)
	}
	var list []struct{ Name string }
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("prws deadletter list --json: %v\n%s", err, out)
	}
	var names []string
	for _, d := range list {
		names = append(names, d.Name)
	}
	return names
}

// refuseData answers code to every write that holds data, and accepts
// the empty write request prws probes a refusing backend with: so the
// data is refused, not the backend failing.
func refuseData(code int) testenv.Behavior {
	empty := snappy.Encode(nil, nil)
	return func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if bytes.Equal(body, empty) {
			return false
		}
		return testenv.Status(code, "")(w, r, body)
	}
}
