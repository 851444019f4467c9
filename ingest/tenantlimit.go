package ingest

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// TenantRate is one tenant's ingest limit: a token bucket of samples
// refilled at SamplesPerSecond (0: unlimited) holding at most Burst
// (0: one second's worth).
type TenantRate struct {
	SamplesPerSecond float64
	Burst            int
}

// tenantSweepEvery is how often idle tenants' buckets are forgotten.
const tenantSweepEvery = time.Minute

// TenantLimiter caps the samples per second each tenant may write
// (Options.TenantLimiter). A request over its tenant's limit is refused
// with 503 and a Retry-After saying when it would pass, as every
// backpressure of prws, never 429; it is counted per tenant. A request
// larger than the bucket passes when the bucket is not in debt and puts
// it in debt for the rest, so the long-run rate holds whatever the
// request size. Safe for concurrent use; SetLimits applies a reload.
type TenantLimiter struct {
	requests *prometheus.CounterVec // tenant
	samples  *prometheus.CounterVec // tenant

	mu        sync.Mutex // guards every field below
	def       TenantRate
	overrides map[string]TenantRate
	buckets   map[string]*tenantBucket
	swept     time.Time
}

type tenantBucket struct {
	lim  *rate.Limiter
	rate TenantRate // what lim was built for
}

// NewTenantLimiter returns a limiter with no limits set (everything
// passes) whose counters are registered on reg (nil: not registered).
func NewTenantLimiter(reg prometheus.Registerer) *TenantLimiter {
	l := &TenantLimiter{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prws_tenant_rate_limited_requests_total",
			Help: "Requests refused with 503 because their tenant was over its ingest rate limit.",
		}, []string{"tenant"}),
		samples: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prws_tenant_rate_limited_samples_total",
			Help: "Samples of the requests refused for their tenant's ingest rate limit (the sender retries them).",
		}, []string{"tenant"}),
		buckets: map[string]*tenantBucket{},
	}
	if reg != nil {
		reg.MustRegister(l.requests, l.samples)
	}
	return l
}

// SetLimits sets the default limit and the per-tenant overrides (the
// map is copied). A tenant whose limit changed starts a full bucket.
func (l *TenantLimiter) SetLimits(def TenantRate, overrides map[string]TenantRate) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.def = def
	l.overrides = make(map[string]TenantRate, len(overrides))
	for k, v := range overrides {
		l.overrides[k] = v
	}
}

// Allow admits a request of n samples from tenant at now, or returns
// false and how long until it would pass.
func (l *TenantLimiter) Allow(tenant string, n int, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	lim := l.bucket(tenant)
	if lim == nil || n <= 0 {
		return true, 0
	}
	burst := lim.Burst()
	k := min(n, burst)
	r := lim.ReserveN(now, k)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		l.requests.WithLabelValues(tenant).Inc()
		l.samples.WithLabelValues(tenant).Add(float64(n))
		return false, d
	}
	for n -= k; n > 0; n -= k { // the rest is debt the next requests wait for
		k = min(n, burst)
		lim.ReserveN(now, k)
	}
	return true, 0
}

// bucket returns tenant's limiter, nil when unlimited; l.mu held.
func (l *TenantLimiter) bucket(tenant string) *rate.Limiter {
	want, ok := l.overrides[tenant]
	if !ok {
		want = l.def
	}
	if want.SamplesPerSecond <= 0 {
		delete(l.buckets, tenant)
		return nil
	}
	if b, ok := l.buckets[tenant]; ok && b.rate == want {
		return b.lim
	}
	burst := want.Burst
	if burst <= 0 {
		burst = max(int(math.Ceil(want.SamplesPerSecond)), 1)
	}
	b := &tenantBucket{lim: rate.NewLimiter(rate.Limit(want.SamplesPerSecond), burst), rate: want}
	l.buckets[tenant] = b
	return b.lim
}

// sweep forgets, once a tenantSweepEvery, the buckets that are full
// again: a new full bucket is the same state, so memory follows the
// active tenants, not every tenant ever seen. l.mu held.
func (l *TenantLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < tenantSweepEvery {
		return
	}
	l.swept = now
	for t, b := range l.buckets {
		if b.lim.TokensAt(now) >= float64(b.lim.Burst()) {
			delete(l.buckets, t)
		}
	}
}

// tenantAllowed applies Options.TenantLimiter to the decoded request of
// tenant; when refused it sets st.retryAfter and returns the message.
func (h *Handler) tenantAllowed(st *reqState, tenant string) (bool, string) {
	lim := h.opts.TenantLimiter
	if lim == nil || tenant == "" {
		return true, ""
	}
	n := 0
	for i := range st.dec.entries {
		n += st.dec.entries[i].samples
	}
	ok, wait := lim.Allow(tenant, n, h.opts.Now())
	if ok {
		return true, ""
	}
	st.retryAfter = wait
	return false, "tenant " + tenant + " is over its ingest rate limit, retry later"
}

// setRetryAfter sets the Retry-After of a 503 the request state asked
// for (a tenant over its limit), in whole seconds rounded up.
func (s *reqState) setRetryAfter(h http.Header) {
	if s.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(max(int(math.Ceil(s.retryAfter.Seconds())), 1)))
		s.retryAfter = 0
	}
}
