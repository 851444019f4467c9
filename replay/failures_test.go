package replay

import (
	"bytes"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prws/prws/queue"
)

// Tests of a backend failing in each way a real one does.

func TestRetriesSendIdenticalBytes(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	be := newBackend(t, status(500, "boom"), status(502, ""), status(500, "boom"))
	h := newHarness(t, be, src, nil)
	src.waitAcks(t, 1)
	reqs := be.requests()
	if len(reqs) != 4 {
		t.Fatalf("got %d requests, want 4", len(reqs))
	}
	for i := 1; i < len(reqs); i++ {
		if !bytes.Equal(reqs[i].body, reqs[0].body) {
			t.Fatalf("retry %d body differs from the first send", i)
		}
	}
	if got := h.metric(t, "prws_remote_retries_total", map[string]string{"shard": "3"}); got != 3 {
		t.Fatalf("retries = %v, want 3", got)
	}
	if got := h.metric(t, "prws_remote_requests_total", map[string]string{"code": "500"}); got != 2 {
		t.Fatalf("requests{code=500} = %v, want 2", got)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	be := newBackend(t, withRetryAfter(503, "1"), withRetryAfter(429, "0"))
	h := newHarness(t, be, src, func(_ *Endpoint, o *Options) { o.RetryAfterMax = time.Minute })
	src.waitAcks(t, 1)
	waits, _ := h.sl.snapshot()
	if len(waits) != 2 || waits[0] != time.Second {
		t.Fatalf("waits = %v, want [1s, backoff]", waits)
	}
	if waits[1] > 2*time.Millisecond {
		t.Fatalf("Retry-After: 0 should fall back to backoff, waited %v", waits[1])
	}
}

func TestRetryAfterCapped(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	be := newBackend(t, withRetryAfter(503, "3600"))
	h := newHarness(t, be, src, func(_ *Endpoint, o *Options) { o.RetryAfterMax = 5 * time.Second })
	src.waitAcks(t, 1)
	if waits, _ := h.sl.snapshot(); len(waits) != 1 || waits[0] != 5*time.Second {
		t.Fatalf("waits = %v, want [5s]", waits)
	}
}

func TestTooManyRequestsRetriedNotDropped(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""), makeBatch(t, 1, ""))
	be := newBackend(t, status(429, "slow down"), status(429, "slow down"), status(429, ""))
	h := newHarness(t, be, src, nil)
	acks := src.waitAcks(t, 2)
	if acks[0].First != 0 || acks[1].First != 10 {
		t.Fatalf("acks out of order: %v, %v", acks[0].First, acks[1].First)
	}
	if n, _ := h.dl.List(); len(n) != 0 {
		t.Fatalf("429 dead-lettered %d batches", len(n))
	}
	if got := h.metric(t, "prws_remote_requests_total", map[string]string{"code": "429"}); got != 3 {
		t.Fatalf("requests{code=429} = %v, want 3", got)
	}
}

func TestConnectionResetRetried(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	be := newBackend(t, reset, reset)
	h := newHarness(t, be, src, nil)
	src.waitAcks(t, 1)
	if got := h.metric(t, "prws_remote_requests_total", map[string]string{"code": "network"}); got < 1 {
		t.Fatalf("requests{code=network} = %v, want ≥ 1", got)
	}
	if st := h.w.Status(); st.ConsecutiveFailures != 0 || st.LastError == "" || !st.Up {
		t.Fatalf("status after recovery = %+v", st)
	}
}

func TestHangPastTimeoutRetried(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	var be *backend
	be = newBackend(t, func(w http.ResponseWriter, r *http.Request) { be.hang(w, r) })
	h := newHarness(t, be, src, func(ep *Endpoint, _ *Options) { ep.Timeout = 20 * time.Millisecond })
	src.waitAcks(t, 1)
	if got := h.metric(t, "prws_remote_requests_total", map[string]string{"code": "timeout"}); got != 1 {
		t.Fatalf("requests{code=timeout} = %v, want 1", got)
	}
	if reqs := be.requests(); len(reqs) != 2 || !bytes.Equal(reqs[0].body, reqs[1].body) {
		t.Fatalf("got %d requests, want 2 identical", len(reqs))
	}
}

func TestFinalStatusesDeadLettered(t *testing.T) {
	for _, code := range []int{400, 409, 413, 422} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			// One series of one sample: nothing to split.
			b0, _ := specBatch(t, 0, []seriesSpec{{i: 0, samples: 1}})
			b0.Tenant = "team-a"
			b1 := makeBatch(t, 1, "")
			src := newFakeSource(b0, b1)
			be := newBackend(t, status(code, "out of order sample"))
			h := newHarness(t, be, src, nil)
			src.waitAcks(t, 2)
			want := 3 // the batch, an empty probe, the next batch
			if reqs := be.requests(); len(reqs) != want {
				t.Fatalf("got %d requests, want %d (no retry)", len(reqs), want)
			}
			checkDeadLetter(t, h, b0, code)
			if got := h.metric(t, "prws_remote_dead_letter_batches_total", map[string]string{"backend": "tsdb-a"}); got != 1 {
				t.Fatalf("dead-letter batches = %v, want 1", got)
			}
			if got := h.metric(t, "prws_remote_dead_letter_samples_total", nil); got != 1 {
				t.Fatalf("dead-letter samples = %v, want 1", got)
			}
			if h.metric(t, "prws_remote_retries_total", nil) != 0 {
				t.Fatal("a final status was retried")
			}
		})
	}
}

func checkDeadLetter(t *testing.T, h *harness, b queue.Batch, code int) {
	t.Helper()
	metas, err := h.dl.List()
	if err != nil || len(metas) != 1 {
		t.Fatalf("dead letters = %d, %v; want 1", len(metas), err)
	}
	e, err := h.dl.Read(metas[0].Name)
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != code || e.Message != "out of order sample" || e.First != b.First || e.Last != b.Last ||
		e.Tenant != b.Tenant || e.Samples != b.Samples || e.Backend != "tsdb-a" || !bytes.Equal(e.Body, rawBody(t, b)) {
		t.Fatalf("dead letter = %+v", e)
	}
}

func TestAuthFailureRetriedAndMarksDown(t *testing.T) {
	for _, code := range []int{401, 403} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			src := newFakeSource(makeBatch(t, 0, ""))
			be := newBackend(t, status(code, "bad credentials"), status(code, "bad credentials"))
			h := newHarness(t, be, src, func(_ *Endpoint, o *Options) { o.RetryTimes = 10 })
			src.waitAcks(t, 1)
			if _, ups := h.sl.snapshot(); len(ups) != 2 || ups[0] || ups[1] {
				t.Fatalf("health during retries = %v, want down at once", ups)
			}
			if n, _ := h.dl.List(); len(n) != 0 {
				t.Fatal("auth failure dead-lettered")
			}
			if !h.state.Up() || h.metric(t, "prws_backend_up", map[string]string{"backend": "tsdb-a"}) != 1 {
				t.Fatal("backend not up after success")
			}
		})
	}
}

func TestHealthTransitionsLoggedOnce(t *testing.T) {
	src := newFakeSource(makeBatch(t, 0, ""))
	be := newBackend(t, status(500, ""), status(500, ""), status(500, ""), status(500, ""), status(500, ""))
	h := newHarness(t, be, src, nil)
	src.waitAcks(t, 1)
	_, ups := h.sl.snapshot()
	want := []bool{true, true, false, false, false}
	if len(ups) != len(want) {
		t.Fatalf("health during retries = %v, want %v", ups, want)
	}
	for i := range want {
		if ups[i] != want[i] {
			t.Fatalf("health during retries = %v, want %v", ups, want)
		}
	}
	if w, i := h.logs.count(slog.LevelWarn, "backend unhealthy; retrying until it recovers"), h.logs.count(slog.LevelInfo, "backend healthy again"); w != 1 || i != 1 {
		t.Fatalf("logged %d unhealthy and %d healthy transitions, want 1 and 1", w, i)
	}
	st := h.w.Status()
	if !st.Up || st.ConsecutiveFailures != 0 || !strings.Contains(st.LastError, "500") || st.LastErrorTime.IsZero() || st.LastSuccessTime.IsZero() {
		t.Fatalf("status = %+v", st)
	}
}
