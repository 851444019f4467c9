package replay

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/prws/prws/queue"
)

// SendLimiter caps what the workers of one backend send: samples per
// second and, optionally, requests per second, summed over the
// backend's shards (token buckets of golang.org/x/time/rate). A backlog
// then drains no faster than the cap, so a backend recovering from an
// outage is not flattened, while live data keeps its place in the queue
// order. Build one per backend with NewSendLimiter and give it to every
// worker of the backend (Options.Limiter). Safe for concurrent use; the
// limits may be changed at any time (a reload) with SetLimits.
type SendLimiter struct {
	waited prometheus.Counter // prws_remote_rate_limited_seconds_total{backend}

	mu       sync.Mutex // guards every field below
	samples  *rate.Limiter
	requests *rate.Limiter
	minBurst int     // the largest batch: a batch passes as one reservation
	cap      float64 // samples/s, 0 = unlimited
}

// RateMetrics are the send-rate cap's metrics, shared by the backends.
type RateMetrics struct {
	waited *prometheus.CounterVec // backend
}

// NewRateMetrics builds the metrics and registers them on reg (nil: not
// registered).
func NewRateMetrics(reg prometheus.Registerer) *RateMetrics {
	m := &RateMetrics{waited: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "prws_remote_rate_limited_seconds_total",
		Help: "Time replay workers waited for the backend's send-rate cap (samples or requests per second), summed over shards.",
	}, []string{"backend"})}
	if reg != nil {
		reg.MustRegister(m.waited)
	}
	return m
}

// NewSendLimiter returns the limiter of backend (a redacted name) with
// samplesPerSecond and requestsPerSecond caps (0: unlimited). batch is
// the largest batch a worker sends (--batch): the samples bucket holds
// at least that much, so a batch waits for its tokens as one. m may be
// nil.
func NewSendLimiter(backend string, samplesPerSecond, requestsPerSecond float64, batch int, m *RateMetrics) *SendLimiter {
	if m == nil {
		m = NewRateMetrics(nil)
	}
	l := &SendLimiter{waited: m.waited.WithLabelValues(backend), minBurst: max(batch, 1)}
	l.SetLimits(samplesPerSecond, requestsPerSecond)
	return l
}

// SetLimits changes the caps (0: unlimited); tokens already spent stay
// spent.
func (l *SendLimiter) SetLimits(samplesPerSecond, requestsPerSecond float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cap = samplesPerSecond
	l.samples = bucket(l.samples, samplesPerSecond, max(int(math.Ceil(samplesPerSecond)), l.minBurst))
	l.requests = bucket(l.requests, requestsPerSecond, max(int(math.Ceil(requestsPerSecond)), 1))
}

// bucket returns lim set to r per second with burst b, a new full one
// when lim is nil, or nil (unlimited) when r <= 0.
func bucket(lim *rate.Limiter, r float64, b int) *rate.Limiter {
	if r <= 0 {
		return nil
	}
	if lim == nil {
		return rate.NewLimiter(rate.Limit(r), b)
	}
	lim.SetBurst(b)
	lim.SetLimit(rate.Limit(r))
	return lim
}

// SamplesPerSecond returns the samples cap, 0 when unlimited.
func (l *SendLimiter) SamplesPerSecond() float64 {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cap
}

// delay reserves a request of n samples at now and returns how long the
// caller must wait before sending it; delayN reserves requests requests
// holding n samples together. A batch above the bucket's size is
// reserved in bucket-sized parts: it waits as long as its samples take
// at the cap.
func (l *SendLimiter) delay(now time.Time, n int) time.Duration { return l.delayN(now, n, 1) }

func (l *SendLimiter) delayN(now time.Time, n, requests int) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var d time.Duration
	for burst := 1; l.requests != nil && requests > 0; requests -= burst {
		burst = min(requests, max(l.requests.Burst(), 1))
		d = max(d, l.requests.ReserveN(now, burst).DelayFrom(now))
	}
	if l.samples == nil {
		return d
	}
	for burst := l.samples.Burst(); n > 0; {
		k := min(n, burst)
		d = max(d, l.samples.ReserveN(now, k).DelayFrom(now))
		n -= k
	}
	return d
}

// Wait blocks until requests requests holding n samples together may be
// sent under the caps, sleeping with sleep, and counts the wait. It returns sleep's error
// (ctx ended) after counting the time reserved. A nil limiter never
// waits.
func (l *SendLimiter) Wait(ctx context.Context, n, requests int, now time.Time, sleep func(context.Context, time.Duration) error) error {
	if l == nil {
		return nil
	}
	d := l.delayN(now, n, requests)
	if d <= 0 {
		return nil
	}
	l.waited.Add(d.Seconds())
	return sleep(ctx, d)
}

// throttle waits for the backend's send-rate cap before b is sent (as
// many requests as it has lanes: lanesOf, which takes the lane share
// deliverBatch then uses); false when ctx ended the wait.
func (w *Worker) throttle(ctx context.Context, b *queue.Batch) bool {
	requests, err := w.lanesOf(b)
	if err != nil {
		requests = 1
	}
	return w.opts.Limiter.Wait(ctx, b.Samples, requests, w.opts.Now(), w.opts.Sleep) == nil
}
