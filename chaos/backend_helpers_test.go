package chaos

import (
	"bufio"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/internal/testenv"
)

// behavior decides how a backend answers one request; it returns true when
// it wrote the answer itself (the samples are then not recorded).
type behavior func(w http.ResponseWriter, r *http.Request, body []byte) bool

// backend is a recording httptest remote-write backend: every accepted
// sample is counted by key (series, request number), request bodies are
// hashed by outcome, and per-series arrival order is checked.
type backend struct {
	srv      *httptest.Server
	behave   atomic.Pointer[behavior]
	requests atomic.Int64
	accept   *slowListener

	mu       sync.Mutex           // guards the fields below
	got      map[uint64]int32     // sample key -> deliveries
	last     map[uint32]int64     // series -> last request number seen
	regress  int                  // samples older than their series' last
	failed   map[[32]byte]int     // hashes of bodies answered non-2xx
	accepted map[[32]byte]int     // hashes of bodies accepted
	firstAt  map[uint64]time.Time // first arrival per key, when trackLag
	trackLag bool
	codes    map[int]int              // answers given
	attempts map[[32]byte][]time.Time // arrival times of every body, when trackAttempts

	trackAttempts bool
	keepRaw       bool                // keep every accepted series in raw
	raw           []prompb.TimeSeries // accepted series, when keepRaw
}

func newBackend(t *testing.T) *backend {
	b := &backend{got: map[uint64]int32{}, last: map[uint32]int64{}, failed: map[[32]byte]int{},
		accepted: map[[32]byte]int{}, attempts: map[[32]byte][]time.Time{}, firstAt: map[uint64]time.Time{}, codes: map[int]int{}}
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(b.serve))
	b.accept = &slowListener{Listener: b.srv.Listener}
	b.srv.Listener = b.accept
	b.srv.Start()
	t.Cleanup(b.srv.Close)
	return b
}

// track turns on lag and attempt recording; call before traffic.
func (b *backend) track() {
	b.mu.Lock()
	b.trackLag, b.trackAttempts = true, true
	b.mu.Unlock()
}

func (b *backend) URL() string { return b.srv.URL + "/api/v1/write" }

// set installs f (nil: accept everything).
func (b *backend) set(f behavior) {
	if f == nil {
		b.behave.Store(nil)
		return
	}
	b.behave.Store(&f)
}

// status returns a behavior answering code (with Retry-After when given).
func status(code int, retryAfter string) behavior {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) bool {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		http.Error(w, "injected "+strconv.Itoa(code), code)
		return true
	}
}

func (b *backend) serve(w http.ResponseWriter, r *http.Request) {
	b.requests.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	sum := sha256.Sum256(body)
	b.mu.Lock()
	if b.trackAttempts {
		b.attempts[sum] = append(b.attempts[sum], time.Now())
	}
	b.mu.Unlock()
	if f := b.behave.Load(); f != nil {
		rec := &codeWriter{ResponseWriter: w}
		if (*f)(rec, r, body) {
			b.mu.Lock()
			b.codes[rec.code]++
			if rec.code < 200 || rec.code > 299 {
				b.failed[sum]++
			}
			b.mu.Unlock()
			return
		}
	}
	wr, err := testenv.DecodeWrite(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b.record(wr, sum)
	w.WriteHeader(http.StatusNoContent)
}

func (b *backend) record(wr *prompb.WriteRequest, sum [32]byte) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.codes[http.StatusNoContent]++
	b.accepted[sum]++
	if b.keepRaw {
		b.raw = append(b.raw, wr.Timeseries...)
	}
	for _, ts := range wr.Timeseries {
		id, ok := seriesID(ts.Labels)
		if !ok {
			continue
		}
		for _, s := range ts.Samples {
			k := s.Timestamp - tsBase
			key := sampleKey(id, k)
			b.got[key]++
			if b.got[key] == 1 && b.trackLag {
				b.firstAt[key] = now
			}
			if last, seen := b.last[id]; seen && k < last {
				b.regress++
			}
			b.last[id] = max(b.last[id], k)
		}
	}
}

// stats returns deliveries beyond the first (duplicates) and order regressions.
func (b *backend) stats() (dup int64, regress int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.got {
		dup += int64(n - 1)
	}
	return dup, b.regress
}

// has reports whether key arrived.
func (b *backend) has(key uint64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got[key] > 0
}

// retriedIdentically reports how many bodies answered non-2xx and how many
// of them were later accepted byte for byte. The empty write request prws
// probes a refusing backend with is not counted: it is not data.
func (b *backend) retriedIdentically() (failed, thenAccepted int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	probe := sha256.Sum256(snappy.Encode(nil, nil))
	for h := range b.failed {
		if h == probe {
			continue
		}
		failed++
		if b.accepted[h] > 0 {
			thenAccepted++
		}
	}
	return
}

// codeWriter remembers the status a behavior wrote.
type codeWriter struct {
	http.ResponseWriter
	code int
}

func (c *codeWriter) WriteHeader(code int) { c.code = code; c.ResponseWriter.WriteHeader(code) }

// Hijack lets a behavior reset the connection.
func (c *codeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return c.ResponseWriter.(http.Hijacker).Hijack()
}

func seriesID(ls []prompb.Label) (uint32, bool) {
	for _, l := range ls {
		if l.Name == "s" {
			n, err := strconv.ParseUint(l.Value, 10, 32)
			return uint32(n), err == nil
		}
	}
	return 0, false
}

// sampleKey packs a series id and a request number.
func sampleKey(id uint32, k int64) uint64 { return uint64(id)<<40 | uint64(k)&(1<<40-1) }

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
