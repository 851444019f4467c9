package testenv

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

// LoadOptions configure a Load. Series and PerRequest must be positive
// unless IDs is set.
type LoadOptions struct {
	URL        string                         // where requests go
	Series     int                            // series numbers 0..Series-1 cycled through
	PerRequest int                            // series per request
	IDs        []uint32                       // when set, the series cycled through instead of 0..Series-1
	Base       int64                          // timestamp of request number 0
	Labels     func(id uint32) []prompb.Label // labels of series id; nil: NodeLabels
	Client     *http.Client                   // nil: a client with a 30 s timeout
}

// Ack is one acknowledged request: when its answer came and how long it
// took.
type Ack struct {
	At      time.Time
	Latency time.Duration
}

// Load is a recording remote-write load generator. Request number k
// carries one sample with value k at timestamp Base+k for PerRequest
// consecutive series; every request answered 2xx is recorded as
// acknowledged. All methods are safe for concurrent use.
type Load struct {
	opts   LoadOptions
	client *http.Client
	next   atomic.Int64

	mu    sync.Mutex    // guards the fields below
	acked []int64       // acknowledged request numbers, in answer order
	acks  map[int64]Ack // acknowledged request number -> its answer
	codes map[int]int   // answers; 0 = transport error
	bad   []string      // the first unexpected answers (status and message)
}

// NewLoad returns a Load sending as o says; nothing is sent before One,
// OneHeader or Run.
func NewLoad(o LoadOptions) *Load {
	if o.Labels == nil {
		o.Labels = NodeLabels
	}
	c := o.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	return &Load{opts: o, client: c, acks: map[int64]Ack{}, codes: map[int]int{}}
}

// Client is the HTTP client requests are sent with.
func (l *Load) Client() *http.Client { return l.client }

// URL is where requests go.
func (l *Load) URL() string { return l.opts.URL }

// SeriesOf returns the series numbers of request k.
func (l *Load) SeriesOf(k int64) []uint32 {
	per := int64(l.opts.PerRequest)
	out := make([]uint32, per)
	for j := range out {
		n := k*per + int64(j)
		if l.opts.IDs != nil {
			out[j] = l.opts.IDs[n%int64(len(l.opts.IDs))]
		} else {
			out[j] = uint32(n % int64(l.opts.Series))
		}
	}
	return out
}

// Body encodes request k as a snappy-compressed remote-write 1.0 body.
func (l *Load) Body(k int64) ([]byte, error) {
	ids := l.SeriesOf(k)
	ts := make([]prompb.TimeSeries, len(ids))
	for i, id := range ids {
		ts[i] = prompb.TimeSeries{
			Labels:  l.opts.Labels(id),
			Samples: []prompb.Sample{{Value: float64(k), Timestamp: l.opts.Base + k}},
		}
	}
	return EncodeWrite(ts)
}

// NodeLabels returns the labels of node_exporter-shaped series number id;
// its "series" label is id in decimal.
func NodeLabels(id uint32) []prompb.Label {
	return []prompb.Label{
		{Name: "__name__", Value: fmt.Sprintf("node_metric_%d", id%97)},
		{Name: "cpu", Value: fmt.Sprint(id % 8)},
		{Name: "instance", Value: fmt.Sprintf("host-%d:9100", id/97)},
		{Name: "job", Value: "node"},
		{Name: "mode", Value: fmt.Sprintf("m%d", id%5)},
		{Name: "series", Value: fmt.Sprint(id)},
	}
}

// NodeSeries returns n series of NodeLabels, numbered from from, each with
// one sample at timestamp ts whose value is its number.
func NodeSeries(from, n int, ts int64) []prompb.TimeSeries {
	out := make([]prompb.TimeSeries, n)
	for i := range out {
		id := from + i
		out[i] = prompb.TimeSeries{Labels: NodeLabels(uint32(id)), Samples: []prompb.Sample{{Value: float64(id), Timestamp: ts}}}
	}
	return out
}

// EncodeWrite builds a snappy-compressed remote-write 1.0 body of ts.
func EncodeWrite(ts []prompb.TimeSeries) ([]byte, error) {
	raw, err := (&prompb.WriteRequest{Timeseries: ts}).Marshal()
	if err != nil {
		return nil, fmt.Errorf("marshal write request: %w", err)
	}
	return snappy.Encode(nil, raw), nil
}

// One sends the next request to url and records the outcome; it returns
// the status (0: no answer).
func (l *Load) One(url string) int {
	k := l.next.Add(1) - 1
	began := time.Now()
	body, err := l.Body(k)
	code, msg := 0, ""
	if err == nil {
		code, msg = PostWrite(l.client, url, body, nil)
	} else {
		code, msg = -1, err.Error()
	}
	l.note(k, code, msg, began, true)
	return code
}

// OneHeader is One to the Load's URL that also returns the answer's
// header (empty when no answer came). Its answers are not judged by
// CheckUnexpected: callers send it to provoke refusals.
func (l *Load) OneHeader() (int, http.Header) {
	k := l.next.Add(1) - 1
	began := time.Now()
	code, hdr, msg := -1, http.Header{}, ""
	body, err := l.Body(k)
	if err == nil {
		code, hdr, err = l.postHeader(body)
	}
	if err != nil {
		msg = err.Error()
	}
	l.note(k, code, msg, began, false)
	return code, hdr
}

func (l *Load) postHeader(body []byte) (int, http.Header, error) {
	req, err := http.NewRequest(http.MethodPost, l.opts.URL, bytes.NewReader(body))
	if err != nil {
		return -1, http.Header{}, err
	}
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, http.Header{}, nil
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header, nil
}

// note records the answer to request k sent at began. 2xx is an
// acknowledgment; when judge is set, answers other than a transport error
// (0) and 503, expected under faults, are kept for CheckUnexpected.
func (l *Load) note(k int64, code int, msg string, began time.Time, judge bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.codes[code]++
	switch {
	case code >= 200 && code < 300:
		l.acked = append(l.acked, k)
		l.acks[k] = Ack{At: time.Now(), Latency: time.Since(began)}
	case !judge, code == 0, code == http.StatusServiceUnavailable:
	default:
		if len(l.bad) < 10 {
			l.bad = append(l.bad, fmt.Sprintf("%d %s", code, msg))
		}
	}
}

// Run starts workers goroutines, each sending to the Load's URL until
// stopped, pausing between acknowledged requests and 20 ms after any
// other answer. The returned func stops them and waits; it may be called
// more than once.
func (l *Load) Run(workers int, pause time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { l.work(done, pause) })
	}
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

// work is one Run worker; it sends at most a million requests.
func (l *Load) work(done <-chan struct{}, pause time.Duration) {
	for range 1_000_000 {
		select {
		case <-done:
			return
		default:
		}
		if l.One(l.opts.URL) != http.StatusNoContent {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		} else if pause > 0 {
			time.Sleep(pause)
		}
	}
}

// Acked copies the acknowledged request numbers, in answer order.
func (l *Load) Acked() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.acked)
}

// AckedIn returns the requests acknowledged in [from, to).
func (l *Load) AckedIn(from, to time.Time) map[int64]Ack {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[int64]Ack{}
	for k, a := range l.acks {
		if !a.At.Before(from) && a.At.Before(to) {
			out[k] = a
		}
	}
	return out
}

// CheckUnexpected fails t when an answer other than 2xx, 503 or a
// transport error came back.
func (l *Load) CheckUnexpected(t testing.TB) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.bad) > 0 {
		t.Errorf("unexpected answers to valid requests: %q (codes %v)", l.bad, l.codes)
	}
}

// Percentile returns the q-quantile of d (0 when empty); it sorts d.
func Percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[int(float64(len(d)-1)*q)]
}
