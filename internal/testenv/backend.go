package testenv

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
)

// Behavior decides how a Backend answers one request, given its body. It
// returns true when it wrote the answer itself; the request's samples are
// then not recorded. It is called from the server's goroutines, so it must
// be safe for concurrent use.
type Behavior func(w http.ResponseWriter, r *http.Request, body []byte) bool

// BackendOptions configure a Backend; the zero value records samples by
// label set and keeps no per-request history beyond headers.
type BackendOptions struct {
	// SeriesOf, when set, names the series of an accepted sample by a
	// number taken from its labels (false: the series is not counted).
	// Deliveries are then counted per SampleKey(series, timestamp-Base),
	// with duplicates and per-series order regressions (Stats, Has), and
	// samples are not recorded by label set (Samples stays empty).
	SeriesOf func([]prompb.Label) (uint32, bool)
	// Base is the timestamp of sample number 0 when SeriesOf is set.
	Base int64
	// KeepHeaders keeps the header of every request (FirstHeader,
	// LastHeader).
	KeepHeaders bool
}

// Backend is a recording httptest remote-write 1.0 backend. It decodes
// every request it accepts and records its samples (by label set, or by
// SampleKey when BackendOptions.SeriesOf is set), hashes request bodies by
// outcome, and counts the status codes it answered. An installed Behavior
// decides the answer instead. All methods are safe for concurrent use.
type Backend struct {
	srv      *httptest.Server
	opts     BackendOptions
	behave   atomic.Pointer[Behavior]
	requests atomic.Int64
	accept   *slowListener

	mu       sync.Mutex               // guards the fields below
	samples  map[string][]int64       // label set -> timestamps in arrival order, without SeriesOf
	count    int                      // samples accepted
	maxID    int                      // highest "series" label number accepted, without SeriesOf
	headers  []http.Header            // every request's header, with KeepHeaders
	got      map[uint64]int32         // sample key -> deliveries, with SeriesOf
	last     map[uint32]int64         // series -> highest sample number seen, with SeriesOf
	regress  int                      // samples older than their series' last
	failed   map[[32]byte]int         // hashes of bodies answered non-2xx
	accepted map[[32]byte]int         // hashes of bodies accepted
	codes    map[int]int              // answers given
	tracking bool                     // record firstAt and attempts
	firstAt  map[uint64]time.Time     // first arrival per sample key, when tracking
	attempts map[[32]byte][]time.Time // arrival times of every body, when tracking
	keepRaw  bool                     // keep every accepted series in raw
	raw      []prompb.TimeSeries      // accepted series, when keepRaw
}

// NewBackend starts a Backend on a loopback port and closes it when t ends.
func NewBackend(t testing.TB, o BackendOptions) *Backend {
	b := &Backend{opts: o, samples: map[string][]int64{}, got: map[uint64]int32{}, last: map[uint32]int64{},
		failed: map[[32]byte]int{}, accepted: map[[32]byte]int{}, codes: map[int]int{},
		firstAt: map[uint64]time.Time{}, attempts: map[[32]byte][]time.Time{}}
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(b.serve))
	b.accept = &slowListener{Listener: b.srv.Listener}
	b.srv.Listener = b.accept
	b.srv.Start()
	t.Cleanup(b.srv.Close)
	return b
}

// URL is the backend's remote-write endpoint.
func (b *Backend) URL() string { return b.srv.URL + "/api/v1/write" }

// Set installs f as the answer to every later request (nil: accept).
func (b *Backend) Set(f Behavior) {
	if f == nil {
		b.behave.Store(nil)
		return
	}
	b.behave.Store(&f)
}

// Fail makes the backend answer code to every later request, with the
// body "injected failure" (0: accept again).
func (b *Backend) Fail(code int) {
	if code == 0 {
		b.Set(nil)
		return
	}
	b.Set(func(w http.ResponseWriter, _ *http.Request, _ []byte) bool {
		http.Error(w, "injected failure", code)
		return true
	})
}

// Status returns a Behavior answering code, with Retry-After when given.
func Status(code int, retryAfter string) Behavior {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) bool {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		http.Error(w, "injected "+strconv.Itoa(code), code)
		return true
	}
}

// EchoHeaders returns a Behavior answering code with a body that echoes
// every request header, as some proxies do.
func EchoHeaders(code int) Behavior {
	return func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		var lines []string
		for k, vs := range r.Header {
			lines = append(lines, fmt.Sprintf("%s: %s", k, strings.Join(vs, ",")))
		}
		sort.Strings(lines)
		http.Error(w, "rejected; request headers were:\n"+strings.Join(lines, "\n"), code)
		return true
	}
}

// Track turns on recording of each sample key's first arrival (FirstAt)
// and of every body's arrival times (Attempts); call it before traffic.
func (b *Backend) Track() {
	b.mu.Lock()
	b.tracking = true
	b.mu.Unlock()
}

// KeepRaw makes the backend keep every accepted series (Raw); call it
// before traffic.
func (b *Backend) KeepRaw() {
	b.mu.Lock()
	b.keepRaw = true
	b.mu.Unlock()
}

// SetAcceptDelay delays every later accepted connection by d (0: none).
func (b *Backend) SetAcceptDelay(d time.Duration) { b.accept.delay.Store(int64(d)) }

func (b *Backend) serve(w http.ResponseWriter, r *http.Request) {
	b.requests.Add(1)
	body, err := io.ReadAll(r.Body)
	sum := sha256.Sum256(body)
	b.arrived(r.Header, sum)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if f := b.behave.Load(); f != nil {
		rec := &codeWriter{ResponseWriter: w}
		if (*f)(rec, r, body) {
			b.answered(rec.code, sum)
			return
		}
	}
	wr, err := DecodeWrite(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b.record(wr, sum)
	w.WriteHeader(http.StatusNoContent)
}

// arrived notes a request's header and arrival time.
func (b *Backend) arrived(h http.Header, sum [32]byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.opts.KeepHeaders {
		b.headers = append(b.headers, h.Clone())
	}
	if b.tracking {
		b.attempts[sum] = append(b.attempts[sum], time.Now())
	}
}

// answered notes the code a Behavior answered.
func (b *Backend) answered(code int, sum [32]byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.codes[code]++
	if code < 200 || code > 299 {
		b.failed[sum]++
	}
}

func (b *Backend) record(wr *prompb.WriteRequest, sum [32]byte) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.codes[http.StatusNoContent]++
	b.accepted[sum]++
	if b.keepRaw {
		b.raw = append(b.raw, wr.Timeseries...)
	}
	for _, ts := range wr.Timeseries {
		b.count += len(ts.Samples)
		if b.opts.SeriesOf == nil {
			b.recordByLabels(ts)
			continue
		}
		if id, ok := b.opts.SeriesOf(ts.Labels); ok {
			b.recordKeyed(id, ts.Samples, now)
		}
	}
}

// recordByLabels records ts's samples under its label set; b.mu is held.
func (b *Backend) recordByLabels(ts prompb.TimeSeries) {
	key := SeriesKey(ts.Labels)
	for _, s := range ts.Samples {
		b.samples[key] = append(b.samples[key], s.Timestamp)
	}
	for _, l := range ts.Labels {
		if n, err := strconv.Atoi(l.Value); err == nil && l.Name == "series" {
			b.maxID = max(b.maxID, n)
		}
	}
}

// recordKeyed counts the samples of series id by key; b.mu is held.
func (b *Backend) recordKeyed(id uint32, samples []prompb.Sample, now time.Time) {
	for _, s := range samples {
		k := s.Timestamp - b.opts.Base
		key := SampleKey(id, k)
		b.got[key]++
		if b.got[key] == 1 && b.tracking {
			b.firstAt[key] = now
		}
		if last, seen := b.last[id]; seen && k < last {
			b.regress++
		}
		b.last[id] = max(b.last[id], k)
	}
}

// SeriesKey is the key Samples records a series under: its sorted label
// set in Prometheus' text form.
func SeriesKey(ls []prompb.Label) string {
	sb := labels.NewScratchBuilder(len(ls))
	for _, l := range ls {
		sb.Add(l.Name, l.Value)
	}
	sb.Sort()
	return sb.Labels().String()
}

// SampleKey packs a series number and a sample number into one key.
func SampleKey(id uint32, k int64) uint64 { return uint64(id)<<40 | uint64(k)&(1<<40-1) }

// codeWriter remembers the status a Behavior wrote.
type codeWriter struct {
	http.ResponseWriter
	code int
}

func (c *codeWriter) WriteHeader(code int) { c.code = code; c.ResponseWriter.WriteHeader(code) }

// Hijack lets a Behavior reset the connection.
func (c *codeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return c.ResponseWriter.(http.Hijacker).Hijack()
}

// slowListener delays every Accept by delay nanoseconds.
type slowListener struct {
	net.Listener
	delay atomic.Int64
}

func (s *slowListener) Accept() (net.Conn, error) {
	c, err := s.Listener.Accept()
	if d := s.delay.Load(); d > 0 && err == nil {
		time.Sleep(time.Duration(d))
	}
	return c, err
}

// CloseClientConnections closes every connection open to the backend.
func (b *Backend) CloseClientConnections() { b.srv.CloseClientConnections() }
