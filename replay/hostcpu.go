package replay

import (
	"bufio"
	"bytes"
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const (
	// hostSampleEvery is how often HostCPU reads the kernel's counters.
	hostSampleEvery = time.Second
	// hostIdleMin is the idle CPU, in cores, below which the host has
	// none to spare for dividing lanes.
	hostIdleMin = 0.25
)

// HostCPU tells whether this host's CPUs have time to spare, from the
// kernel's counters of time spent idle (Linux /proc/stat: idle and
// iowait over every online CPU). It reads them at most once per
// hostSampleEvery, on the call that finds the last reading stale, and
// answers from the interval between the last two readings.
//
// Going wide costs CPU (dividing and compressing lanes) to overlap a
// backend's latency. When the backend runs on this host and the host has
// no idle CPU, the backend is slow because it shares the cores, not
// because it is far: lanes then only move CPU from ingest and the other
// queues to the queue that went wide, and make the whole process slower
// (BENCHMARKS.md). A worker whose backend is on this host therefore reads
// one batch at a time while Busy (Worker.batchLimit).
//
// The counters are the host's: in a container limited to fewer CPUs than
// the host has, Busy answers for the host, not for the container. Where
// the counters cannot be read, Busy is always false.
//
// Safe for concurrent use. A nil *HostCPU is never busy.
type HostCPU struct {
	read func() (idle, total uint64, cpus int, ok bool)
	now  func() time.Time

	mu          sync.Mutex
	at          time.Time // of the last reading; zero: none yet
	idle, total uint64    // the last reading
	idleCores   atomic.Uint64
}

// NewHostCPU returns a HostCPU reading /proc/stat and registers on reg,
// unless nil, the gauge prws_host_cpu_idle_cores. It panics if that gauge
// is already registered on reg, a wiring bug.
func NewHostCPU(reg prometheus.Registerer) *HostCPU {
	h := newHostCPU(readProcStat, time.Now)
	if reg != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "prws_host_cpu_idle_cores",
			Help: "CPU cores of this host left idle over the last second or so (NaN: unknown). Below 0.25, queues whose backend runs on this host do not send lanes.",
		}, h.IdleCores))
	}
	return h
}

func newHostCPU(read func() (idle, total uint64, cpus int, ok bool), now func() time.Time) *HostCPU {
	h := &HostCPU{read: read, now: now}
	h.idleCores.Store(math.Float64bits(math.NaN()))
	return h
}

// Busy reports whether the host had less than hostIdleMin cores idle over
// the last interval measured; false when that is unknown.
func (h *HostCPU) Busy() bool {
	if h == nil {
		return false
	}
	return h.IdleCores() < hostIdleMin // false for NaN
}

// IdleCores returns the cores left idle over the last interval measured,
// reading the counters first if the last reading is stale; NaN when
// unknown.
func (h *HostCPU) IdleCores() float64 {
	if h == nil {
		return math.NaN()
	}
	h.sample()
	return math.Float64frombits(h.idleCores.Load())
}

// sample reads the counters if the last reading is hostSampleEvery old,
// unless another caller is reading them.
func (h *HostCPU) sample() {
	if !h.mu.TryLock() {
		return
	}
	defer h.mu.Unlock()
	now := h.now()
	if !h.at.IsZero() && now.Sub(h.at) < hostSampleEvery {
		return
	}
	idle, total, cpus, ok := h.read()
	if !ok {
		h.at = time.Time{}
		h.idleCores.Store(math.Float64bits(math.NaN()))
		return
	}
	if !h.at.IsZero() && total > h.total && idle >= h.idle {
		cores := float64(cpus) * float64(idle-h.idle) / float64(total-h.total)
		h.idleCores.Store(math.Float64bits(cores))
	}
	h.at, h.idle, h.total = now, idle, total
}

// readProcStat reads /proc/stat.
func readProcStat() (idle, total uint64, cpus int, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0, false
	}
	return parseProcStat(b)
}

// parseProcStat returns from the text of /proc/stat the idle (idle plus
// iowait) and total time of every CPU together, in the kernel's ticks, and
// the number of CPUs listed; ok is false unless the aggregate line has at
// least the first five counters and at least one CPU is listed.
func parseProcStat(b []byte) (idle, total uint64, cpus int, ok bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "cpu") {
			continue
		}
		f := strings.Fields(line)
		if f[0] != "cpu" {
			if _, err := strconv.Atoi(f[0][3:]); err == nil {
				cpus++
			}
			continue
		}
		if len(f) < 6 {
			return 0, 0, 0, false
		}
		// user nice system idle iowait irq softirq steal [guest guest_nice],
		// guest time being counted in user and nice already.
		for i, s := range f[1:min(len(f), 9)] {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return 0, 0, 0, false
			}
			total += v
			if i == 3 || i == 4 {
				idle += v
			}
		}
		ok = true
	}
	return idle, total, cpus, ok && cpus > 0
}

// onThisHost reports whether rawURL names this host: localhost, a
// loopback or unspecified address, or an address of one of its network
// interfaces. A name that only resolves to this host is not recognised.
func onThisHost(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	if ip.IsLoopback() || ip.IsUnspecified() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}
