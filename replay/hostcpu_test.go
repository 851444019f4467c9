package replay

import (
	"math"
	"net/http"
	"sync"
	"testing"
	"time"
)

const procStat = `cpu  1000 50 300 8000 200 10 20 5 0 0
cpu0 500 25 150 4000 100 5 10 3 0 0
cpu1 500 25 150 4000 100 5 10 2 0 0
intr 12345 0 0
ctxt 999
cpufreq 1
`

func TestParseProcStat(t *testing.T) {
	idle, total, cpus, ok := parseProcStat([]byte(procStat))
	if !ok || idle != 8200 || total != 9585 || cpus != 2 {
		t.Fatalf("idle %d total %d cpus %d ok %v; want 8200 9585 2 true", idle, total, cpus, ok)
	}
	for name, text := range map[string]string{
		"empty":           "",
		"short aggregate": "cpu 1 2 3 4\ncpu0 1 2 3 4 5\n",
		"not a number":    "cpu 1 2 x 4 5 6\ncpu0 1 2 3 4 5 6\n",
		"no cpu listed":   "cpu 1 2 3 4 5 6\n",
	} {
		if _, _, _, ok := parseProcStat([]byte(text)); ok {
			t.Errorf("%s: parsed", name)
		}
	}
}

// fakeHost is a host whose CPUs, two of them, are idle for the given
// share of every second that its clock moves on each reading.
type fakeHost struct {
	mu          sync.Mutex
	idleShare   float64
	idle, total uint64
	clock       time.Time
	reads       int
	broken      bool
}

func (f *fakeHost) read() (idle, total uint64, cpus int, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	f.total += 200 // two CPUs, 100 ticks a second each
	f.idle += uint64(200 * f.idleShare)
	return f.idle, f.total, 2, !f.broken
}

func (f *fakeHost) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock
}

func (f *fakeHost) advance(d time.Duration) {
	f.mu.Lock()
	f.clock = f.clock.Add(d)
	f.mu.Unlock()
}

func TestHostCPUIdleCores(t *testing.T) {
	f := &fakeHost{idleShare: 0.5, clock: time.Unix(1000, 0)}
	h := newHostCPU(f.read, f.now)
	if got := h.IdleCores(); !math.IsNaN(got) || h.Busy() {
		t.Fatalf("first reading: %v idle cores, busy %v; want unknown, not busy", got, h.Busy())
	}
	f.advance(time.Second)
	if got := h.IdleCores(); got != 1 || h.Busy() {
		t.Fatalf("half idle: %v idle cores, busy %v; want 1, not busy", got, h.Busy())
	}
	f.idleShare = 0.05
	f.advance(hostSampleEvery / 2)
	if got := h.IdleCores(); got != 1 || f.reads != 2 {
		t.Fatalf("within the interval: %v idle cores after %d readings; want the last answer, 2 readings", got, f.reads)
	}
	f.advance(hostSampleEvery / 2)
	if got := h.IdleCores(); math.Abs(got-0.1) > 1e-9 || !h.Busy() {
		t.Fatalf("5%% idle: %v idle cores, busy %v; want 0.1, busy", got, h.Busy())
	}
	f.broken = true
	f.advance(time.Second)
	if got := h.IdleCores(); !math.IsNaN(got) || h.Busy() {
		t.Fatalf("unreadable counters: %v idle cores, busy %v; want unknown, not busy", got, h.Busy())
	}
	var none *HostCPU
	if none.Busy() || !math.IsNaN(none.IdleCores()) {
		t.Fatal("a nil HostCPU is busy or knows its idle cores")
	}
}

func TestOnThisHost(t *testing.T) {
	for url, want := range map[string]bool{
		"http://127.0.0.1:8428/api/v1/write":   true,
		"http://127.1.2.3/api/v1/write":        true,
		"http://localhost:9090/api/v1/write":   true,
		"https://LOCALHOST./api/v1/write":      true,
		"http://prom.localhost/api/v1/write":   true,
		"http://[::1]:9090/api/v1/write":       true,
		"http://0.0.0.0:9090/api/v1/write":     true,
		"http://192.0.2.7:9090/api/v1/write":   false, // TEST-NET-1, on no interface
		"http://victoria.example/api/v1/write": false,
		"::not a url":                          false,
	} {
		if got := onThisHost(url); got != want {
			t.Errorf("onThisHost(%q) = %v, want %v", url, got, want)
		}
	}
}

// TestLocalBackendNarrowWhileHostBusy: a backend on this host (every
// test backend is on 127.0.0.1) gets one batch at a time while the host
// has no idle CPU, and lanes once it has.
func TestLocalBackendNarrowWhileHostBusy(t *testing.T) {
	for _, busy := range []bool{true, false} {
		f := &fakeHost{idleShare: 0.6, clock: time.Unix(1000, 0)}
		if busy {
			f.idleShare = 0.05
		}
		host := newHostCPU(f.read, func() time.Time { f.advance(time.Second); return f.now() })
		host.IdleCores()
		batches, keys := roundBatches(t, 6, 60, 5, -1) // 300 samples a batch: 3 lanes of about 100
		j := &judge{code: http.StatusBadRequest}
		be := newBackend(t)
		be.setFallback(slowJudge(j, 20*time.Millisecond))
		src := newFakeSource(batches...)
		h := newHarness(t, be, src, func(_ *Endpoint, o *Options) { o.MaxInFlight, o.Host = 4, host })
		src.waitAcks(t, len(batches))
		sameSet(t, "delivered", j.samples(), keys)
		inOrder(t, j)
		wide := h.metric(t, "prws_remote_lane_batches_total", nil)
		held := h.metric(t, "prws_remote_lane_reads_host_busy_total", nil)
		if busy && (wide != 0 || held == 0 || len(be.requests()) != len(batches)) {
			t.Fatalf("host busy: %v lane batches, %v reads held back, %d requests for %d batches; want one request a batch",
				wide, held, len(be.requests()), len(batches))
		}
		if !busy && (wide == 0 || held != 0) {
			t.Fatalf("host idle: %v lane batches, %v reads held back; want lanes", wide, held)
		}
	}
}
