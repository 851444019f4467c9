package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// trackingBody records how far it was read and whether it was closed.
type trackingBody struct {
	r      io.Reader
	read   int
	closed bool
}

func (b *trackingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += n
	return n, err
}

func (b *trackingBody) Close() error { b.closed = true; return nil }

func response(code int, body string, header ...string) (*http.Response, *trackingBody) {
	tb := &trackingBody{r: strings.NewReader(body)}
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: code, Header: h, Body: tb}, tb
}

func TestClassifyStatus(t *testing.T) {
	tests := []struct {
		code int
		want Verdict
		down bool
	}{
		{200, Delivered, false}, {204, Delivered, false},
		{500, Retry, false}, {502, Retry, false}, {503, Retry, false}, {504, Retry, false},
		{429, Retry, false}, {408, Retry, false}, {401, Retry, true}, {403, Retry, true},
		{400, Refused, false}, {409, Refused, false}, {413, Refused, false}, {422, Refused, false},
		{404, Retry, true}, {405, Retry, true}, {410, Retry, true}, {415, Retry, true}, {431, Retry, true},
		{302, Retry, false}, {100, Retry, false},
	}
	now := time.Unix(1700000000, 0)
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			resp, body := response(tt.code, "some text")
			res := Classify(resp, nil, now)
			if res.Verdict != tt.want || res.Down != tt.down || res.Status != tt.code || res.Code != fmt.Sprint(tt.code) {
				t.Fatalf("Classify(%d) = %+v, want verdict %v down %v", tt.code, res, tt.want, tt.down)
			}
			if !body.closed {
				t.Fatal("body not closed")
			}
			var he *HTTPError
			if (res.Err == nil) != (tt.want == Delivered) || (res.Err != nil && (!errors.As(res.Err, &he) || he.Message != "some text")) {
				t.Fatalf("Err = %v", res.Err)
			}
		})
	}
}

func TestClassifyRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name  string
		code  int
		value string
		want  time.Duration
		typed bool
	}{
		{"seconds", 503, "7", 7 * time.Second, true},
		{"zero", 429, "0", 0, true},
		{"date", 503, now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"past date", 503, now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"huge capped at a day", 503, "999999999999", 24 * time.Hour, true},
		{"negative ignored", 503, "-3", 0, false},
		{"garbage ignored", 503, "soon", 0, false},
		{"absent", 503, "", 0, false},
		{"ignored on dead letter", 400, "5", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := response(tt.code, "", "Retry-After", tt.value)
			res := Classify(resp, nil, now)
			var ra *RetryAfterError
			if errors.As(res.Err, &ra) != tt.typed || RetryAfter(res.Err) != tt.want {
				t.Fatalf("Err = %v, want typed=%v after %v", res.Err, tt.typed, tt.want)
			}
			var he *HTTPError
			if !errors.As(res.Err, &he) || he.Status != tt.code {
				t.Fatal("the HTTPError is not wrapped")
			}
		})
	}
}

func TestClassifyBoundsBodyRead(t *testing.T) {
	big := strings.Repeat("x", MaxErrorBody+10) + strings.Repeat("y", 2*maxDrain)
	resp, body := response(500, big)
	res := Classify(resp, nil, time.Now())
	var he *HTTPError
	if !errors.As(res.Err, &he) || len(he.Message) != MaxErrorBody {
		t.Fatalf("message kept %d bytes, want %d", len(he.Message), MaxErrorBody)
	}
	if body.read > MaxErrorBody+maxDrain || !body.closed {
		t.Fatalf("read %d bytes (bound %d), closed %v", body.read, MaxErrorBody+maxDrain, body.closed)
	}
	resp, body = response(500, "short\xff\n")
	res = Classify(resp, nil, time.Now())
	if !errors.As(res.Err, &he) || he.Message != "short\uFFFD" || body.read != 7 {
		t.Fatalf("message %q, read %d", he.Message, body.read)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestClassifyTransport(t *testing.T) {
	raw := "http://user:pw@tsdb:9090/api/v1/write?key=k"
	tests := []struct {
		name string
		err  error
		code string
	}{
		{"refused", &url.Error{Op: "Post", URL: raw, Err: errors.New("connection refused")}, "network"},
		{"reset", &url.Error{Op: "Post", URL: raw, Err: io.ErrUnexpectedEOF}, "network"},
		{"deadline", &url.Error{Op: "Post", URL: raw, Err: context.DeadlineExceeded}, "timeout"},
		{"net timeout", &url.Error{Op: "Post", URL: raw, Err: timeoutErr{}}, "timeout"},
		{"bare", errors.New("boom"), "network"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Classify(nil, tt.err, time.Now())
			if res.Verdict != Retry || res.Code != tt.code || res.Status != 0 {
				t.Fatalf("Classify = %+v, want retry %s", res, tt.code)
			}
			if strings.Contains(res.Err.Error(), "tsdb") || strings.Contains(res.Err.Error(), "pw") {
				t.Fatalf("URL kept in %q", res.Err)
			}
		})
	}
}
