package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prws/prws/internal/testenv"
)

// hdrBackend is a remote-write backend that records the headers of every
// request and the samples of those it accepted. status, when it returns
// non-zero, fails the request; the failure body echoes every request
// header, as some proxies do, so secrets in them would reach prws's
// error texts.
type hdrBackend struct {
	srv    *httptest.Server
	status atomic.Pointer[func() int]

	mu      sync.Mutex // guards the fields below
	headers []http.Header
	samples int
	maxID   int // highest "series" label number accepted
}

func newHdrBackend(t *testing.T) *hdrBackend {
	b := &hdrBackend{}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *hdrBackend) URL() string { return b.srv.URL + "/api/v1/write" }

// fail makes the backend answer code (0: accept).
func (b *hdrBackend) fail(code int) {
	f := func() int { return code }
	b.status.Store(&f)
}

func (b *hdrBackend) serve(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.headers = append(b.headers, r.Header.Clone())
	b.mu.Unlock()
	if f := b.status.Load(); f != nil {
		if code := (*f)(); code != 0 {
			http.Error(w, "rejected; request headers were:\n"+dumpHeaders(r.Header), code)
			return
		}
	}
	body, _ := io.ReadAll(r.Body)
	wr, err := testenv.DecodeWrite(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	for _, ts := range wr.Timeseries {
		b.samples += len(ts.Samples)
		for _, l := range ts.Labels {
			if n, err := strconv.Atoi(l.Value); err == nil && l.Name == "series" {
				b.maxID = max(b.maxID, n)
			}
		}
	}
	b.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func dumpHeaders(h http.Header) string {
	var lines []string
	for k, vs := range h {
		lines = append(lines, fmt.Sprintf("%s: %s", k, strings.Join(vs, ",")))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func (b *hdrBackend) sampleCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.samples
}

// maxSeries returns the highest series number accepted.
func (b *hdrBackend) maxSeries() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.maxID
}

// firstHeader returns header k of the first request ("" if none).
func (b *hdrBackend) firstHeader(k string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.headers) == 0 {
		return ""
	}
	return b.headers[0].Get(k)
}

// lastHeader returns header k of the last request ("" if none).
func (b *hdrBackend) lastHeader(k string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.headers) == 0 {
		return ""
	}
	return b.headers[len(b.headers)-1].Get(k)
}

// requests returns how many requests arrived.
func (b *hdrBackend) requests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.headers)
}
