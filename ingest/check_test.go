package ingest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/queue"
)

// entries splits a WriteRequest body into its raw top-level entries of
// field num (tag and length included).
func entries(t testing.TB, body []byte, num uint64) [][]byte {
	t.Helper()
	var out [][]byte
	for i := 0; i < len(body); {
		f, next, err := nextField(body, i)
		if err != nil {
			t.Fatalf("splitting body at %d: %v", i, err)
		}
		if f.num == num {
			out = append(out, body[i:next])
		}
		i = next
	}
	return out
}

// payload concatenates the payloads of recs of the given kind.
func payload(recs []queue.Record, k queue.Kind) []byte {
	var b []byte
	for _, r := range recs {
		if r.Kind == k {
			b = append(b, r.Payload...)
		}
	}
	return b
}

// unmarshal decodes a concatenated payload as a WriteRequest.
func unmarshal(t testing.TB, b []byte) prompb.WriteRequest {
	t.Helper()
	var wr prompb.WriteRequest
	if err := wr.Unmarshal(b); err != nil {
		t.Fatalf("payload is not a WriteRequest: %v", err)
	}
	return wr
}

// expectStatus checks the status and that the message contains want.
func expectStatus(t testing.TB, code int, body string, wantCode int, want string) {
	t.Helper()
	if code != wantCode {
		t.Fatalf("status %d (%q), want %d", code, body, wantCode)
	}
	if !strings.Contains(body, want) {
		t.Fatalf("message %q does not contain %q", body, want)
	}
}

// expectUntouched checks that no target received anything.
func expectUntouched(t testing.TB, b *testBed) {
	t.Helper()
	b.each(func(be, sh int, tg *recTarget) {
		tg.mu.Lock()
		defer tg.mu.Unlock()
		if tg.submits != 0 {
			t.Fatalf("target %d/%d received %d submits", be, sh, tg.submits)
		}
	})
}

// expectRetryAfter checks a 503 carries Retry-After.
func expectRetryAfter(t testing.TB, h http.Header, want string) {
	t.Helper()
	if got := h.Get("Retry-After"); got != want {
		t.Fatalf("Retry-After %q, want %q", got, want)
	}
}
