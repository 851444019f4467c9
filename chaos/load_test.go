package chaos

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/internal/testenv"
	"github.com/prws/prws/router"
)

// tsBase is the timestamp of request number 0: the test's start, so that
// a real Prometheus accepts the samples as fresh.
var tsBase = time.Now().UnixMilli()

// newLoad returns a load generator whose request number k carries one
// sample at timestamp tsBase+k for perReq consecutive series of nSeries.
func newLoad(url string, nSeries, perReq int) *testenv.Load {
	return testenv.NewLoad(testenv.LoadOptions{URL: url, Series: nSeries, PerRequest: perReq, Base: tsBase, Labels: seriesLabels})
}

// newLoadOf is newLoad cycling through the series ids.
func newLoadOf(url string, ids []uint32, perReq int) *testenv.Load {
	return testenv.NewLoad(testenv.LoadOptions{URL: url, IDs: ids, PerRequest: perReq, Base: tsBase, Labels: seriesLabels})
}

func seriesLabels(id uint32) []prompb.Label {
	return []prompb.Label{{Name: "__name__", Value: "chaos_metric"}, {Name: "job", Value: "chaos"},
		{Name: "s", Value: strconv.Itoa(int(id))}}
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

func (w *world) tally(l *testenv.Load) tally {
	var tl tally
	for _, k := range l.Acked() {
		for _, id := range l.SeriesOf(k) {
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
func (w *world) drainT(t *testing.T, l *testenv.Load, limit time.Duration) tally {
	t.Helper()
	var r row
	return w.drain(t, l, limit, &r)
}

// drain waits up to limit until every acknowledged sample arrived and
// fills r. It reports whether nothing is lost.
func (w *world) drain(t *testing.T, l *testenv.Load, limit time.Duration, r *row) tally {
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
