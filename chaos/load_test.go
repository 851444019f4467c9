package chaos

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/internal/testenv"
	"github.com/prws/prws/router"
)

// tsBase is the timestamp of request number 0: the test's start, so that
// a real Prometheus accepts the samples as fresh.
var tsBase = time.Now().UnixMilli()

// loadGen is a recording load generator. Request number k carries one
// sample at timestamp tsBase+k for perReq consecutive series (mod
// nSeries); every request answered 2xx is recorded as acknowledged.
type loadGen struct {
	url     string
	nSeries int
	perReq  int
	ids     []uint32 // when set, the series to cycle through instead of 0..nSeries-1
	client  *http.Client
	next    atomic.Int64

	mu    sync.Mutex // guards the fields below
	acked []int64
	ackAt map[int64]time.Time
	lat   []time.Duration // latency of acknowledged requests
	latOf map[int64]time.Duration
	codes map[int]int // answers; 0 = transport error
	bad   []string    // unexpected answers (status and message)
}

func newLoad(url string, nSeries, perReq int) *loadGen {
	return &loadGen{url: url, nSeries: nSeries, perReq: perReq, ackAt: map[int64]time.Time{}, latOf: map[int64]time.Duration{},
		codes: map[int]int{}, client: &http.Client{Timeout: 30 * time.Second}}
}

// seriesOf returns the series ids of request k.
func (l *loadGen) seriesOf(k int64) []uint32 {
	out := make([]uint32, l.perReq)
	if l.ids != nil {
		for j := range out {
			out[j] = l.ids[(k*int64(l.perReq)+int64(j))%int64(len(l.ids))]
		}
		return out
	}
	for j := range out {
		out[j] = uint32((k*int64(l.perReq) + int64(j)) % int64(l.nSeries))
	}
	return out
}

// body encodes request k.
func (l *loadGen) body(k int64) []byte {
	ids := l.seriesOf(k)
	wr := prompb.WriteRequest{Timeseries: make([]prompb.TimeSeries, len(ids))}
	for i, id := range ids {
		wr.Timeseries[i] = prompb.TimeSeries{
			Labels:  seriesLabels(id),
			Samples: []prompb.Sample{{Value: float64(k), Timestamp: tsBase + k}},
		}
	}
	raw, err := wr.Marshal()
	if err != nil {
		panic(err)
	}
	return snappy.Encode(nil, raw)
}

func seriesLabels(id uint32) []prompb.Label {
	return []prompb.Label{{Name: "__name__", Value: "chaos_metric"}, {Name: "job", Value: "chaos"},
		{Name: "s", Value: strconv.Itoa(int(id))}}
}

// one sends the next request and records the outcome.
func (l *loadGen) one(url string) int {
	k := l.next.Add(1) - 1
	began := time.Now()
	code, msg := post(l.client, url, l.body(k), nil)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.codes[code]++
	switch {
	case code >= 200 && code < 300:
		l.acked = append(l.acked, k)
		l.ackAt[k] = time.Now()
		l.lat = append(l.lat, time.Since(began))
		l.latOf[k] = time.Since(began)
		l.latOf[k] = time.Since(began)
	case code == 0, code == http.StatusServiceUnavailable:
	default:
		if len(l.bad) < 10 {
			l.bad = append(l.bad, fmt.Sprintf("%d %s", code, msg))
		}
	}
	return code
}

// run starts workers sending until stop is closed; each pauses between
// requests. The returned func stops them and waits.
func (l *loadGen) run(workers int, pause time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1_000_000; i++ {
				select {
				case <-done:
					return
				default:
				}
				if l.one(l.url) != http.StatusNoContent {
					select {
					case <-done:
						return
					case <-time.After(20 * time.Millisecond):
					}
				} else if pause > 0 {
					time.Sleep(pause)
				}
			}
		}()
	}
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[int(float64(len(d)-1)*q)]
}

// checkUnexpected fails t when an answer other than 2xx, 503 or a
// transport error came back.
func (l *loadGen) checkUnexpected(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.bad) > 0 {
		t.Errorf("unexpected answers to valid requests: %q (codes %v)", l.bad, l.codes)
	}
}

// post sends one remote-write 1.0 request.
func post(c *http.Client, url string, body []byte, hdr map[string]string) (int, string) {
	return testenv.PostWrite(c, url, body, hdr)
}

// world is the backends of one scenario and where each series routes.
type world struct {
	backends []*testenv.Backend
	ring     *router.Ring
	routes   map[uint32][]int
}

func newWorld(t *testing.T, shards int, bs ...*testenv.Backend) *world {
	ids := make([]string, len(bs))
	for i, b := range bs {
		id, err := router.BackendID(b.URL())
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	ring, err := router.New(ids, 1, shards)
	if err != nil {
		t.Fatal(err)
	}
	return &world{backends: bs, ring: ring, routes: map[uint32][]int{}}
}

// promes is the --promes value naming every backend.
func (w *world) promes() string {
	s := ""
	for i, b := range w.backends {
		if i > 0 {
			s += ","
		}
		s += b.URL()
	}
	return s
}

// route returns the backends series id goes to.
func (w *world) route(id uint32) []int {
	if r, ok := w.routes[id]; ok {
		return r
	}
	h := router.NewHasher(router.KeySeries)
	for _, l := range seriesLabels(id) {
		h.AddString(l.Name, l.Value)
	}
	r := w.ring.Lookup(h.Sum64(), nil, nil)
	w.routes[id] = r
	return r
}

// tally compares acknowledged samples with deliveries, sample by sample.
type tally struct {
	acked, delivered, lost, dup int64
	regress                     int
	firstMissing                string
}

func (w *world) tally(l *loadGen) tally {
	l.mu.Lock()
	acked := slices.Clone(l.acked)
	l.mu.Unlock()
	var tl tally
	for _, k := range acked {
		for _, id := range l.seriesOf(k) {
			tl.acked++
			ok := true
			for _, bi := range w.route(id) {
				if !w.backends[bi].Has(testenv.SampleKey(id, k)) {
					ok = false
					if tl.firstMissing == "" {
						tl.firstMissing = fmt.Sprintf("series %d request %d at backend %d", id, k, bi)
					}
				}
			}
			if ok {
				tl.delivered++
			}
		}
	}
	tl.lost = tl.acked - tl.delivered
	for _, b := range w.backends {
		d, r := b.Stats()
		tl.dup += d
		tl.regress += r
	}
	return tl
}

// drainT waits up to limit until every sample l acknowledged arrived.
func (w *world) drainT(t *testing.T, l *loadGen, limit time.Duration) tally {
	t.Helper()
	var r row
	return w.drain(t, l, limit, &r)
}

// drain waits up to limit until every acknowledged sample arrived and
// fills r. It reports whether nothing is lost.
func (w *world) drain(t *testing.T, l *loadGen, limit time.Duration, r *row) tally {
	t.Helper()
	deadline := time.Now().Add(limit)
	var tl tally
	for {
		tl = w.tally(l)
		if tl.lost == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	r.Acked, r.Delivered, r.Lost, r.Dup = tl.acked, tl.delivered, tl.lost, tl.dup
	if tl.lost > 0 {
		t.Errorf("%d of %d acknowledged samples lost after %v (first: %s)", tl.lost, tl.acked, limit, tl.firstMissing)
	}
	return tl
}

// oneHeader is one but also returns the answer's header.
func (l *loadGen) oneHeader() (int, http.Header) {
	k := l.next.Add(1) - 1
	req, _ := http.NewRequest(http.MethodPost, l.url, bytes.NewReader(l.body(k)))
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	resp, err := l.client.Do(req)
	code, hdr := 0, http.Header{}
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		code, hdr = resp.StatusCode, resp.Header
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.codes[code]++
	if code >= 200 && code < 300 {
		l.acked = append(l.acked, k)
		l.ackAt[k] = time.Now()
	}
	return code, hdr
}
