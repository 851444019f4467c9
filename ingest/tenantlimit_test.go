package ingest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/prometheus/prompb"
)

// samplesRequest is one series with n samples.
func samplesRequest(n int) []byte {
	ts := prompb.TimeSeries{Labels: lbls("__name__", "up", "job", "a")}
	for i := range n {
		ts.Samples = append(ts.Samples, prompb.Sample{Value: 1, Timestamp: int64(i)})
	}
	raw, _ := (&prompb.WriteRequest{Timeseries: []prompb.TimeSeries{ts}}).Marshal()
	return compress(raw)
}

// TestTenantRateLimit: over its limit a tenant gets 503 with the
// Retry-After of its bucket (never 429) and nothing is queued; other
// tenants and overrides are independent; a request larger than the
// bucket passes once and puts the tenant in debt; refusals are counted.
func TestTenantRateLimit(t *testing.T) {
	now := time.Unix(1700000000, 0)
	lim := NewTenantLimiter(nil)
	lim.SetLimits(TenantRate{SamplesPerSecond: 100}, map[string]TenantRate{"big": {SamplesPerSecond: 1000}})
	bed := newBed(t, Options{TenantHeader: "X-Scope-OrgID", TenantLimiter: lim, Now: func() time.Time { return now }}, 1, 1, 1)
	post := func(tenant string, n int) *httptest.ResponseRecorder {
		return bed.post(samplesRequest(n), "X-Scope-OrgID", tenant)
	}
	want := func(w *httptest.ResponseRecorder, code int, retryAfter string) {
		t.Helper()
		if w.Code != code || w.Header().Get("Retry-After") != retryAfter {
			t.Fatalf("got %d Retry-After %q (%s), want %d %q", w.Code, w.Header().Get("Retry-After"), w.Body, code, retryAfter)
		}
	}
	want(post("a", 60), http.StatusNoContent, "")
	before := bed.totalRecords()
	want(post("a", 60), http.StatusServiceUnavailable, "1")
	if bed.totalRecords() != before {
		t.Fatal("a refused request was queued")
	}
	want(post("b", 100), http.StatusNoContent, "")
	want(post("big", 900), http.StatusNoContent, "")
	now = now.Add(time.Second)
	want(post("a", 60), http.StatusNoContent, "")
	now = now.Add(10 * time.Second)
	want(post("a", 350), http.StatusNoContent, "") // a full bucket lets a large request through
	want(post("a", 1), http.StatusServiceUnavailable, "3")
	now = now.Add(3 * time.Second)
	want(post("a", 1), http.StatusNoContent, "")
	if got := counterValue(t, lim.requests.WithLabelValues("a")); got != 2 {
		t.Errorf("limited requests of a = %v, want 2", got)
	}
	if got := counterValue(t, lim.samples.WithLabelValues("a")); got != 61 {
		t.Errorf("limited samples of a = %v, want 61", got)
	}
	lim.SetLimits(TenantRate{}, nil)
	want(post("a", 100000), http.StatusNoContent, "")
}
