package replay

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxErrorBody is how much of a non-2xx response body is kept as the
// error message.
const MaxErrorBody = 4 << 10

// maxDrain bounds how much more of a body is read so the connection can
// be reused; a larger body costs a new connection instead.
const maxDrain = 64 << 10

// Verdict is the fate of one send attempt.
type Verdict uint8

const (
	// Delivered: the backend accepted the batch; acknowledge it.
	Delivered Verdict = iota + 1
	// Retry: send the same bytes again after a backoff.
	Retry
	// DeadLetter: the backend will never accept the batch; park it.
	DeadLetter
)

// Result is Classify's decision.
type Result struct {
	Verdict Verdict
	Status  int    // HTTP status; 0 when no answer arrived
	Code    string // metric label: the status, "network" or "timeout"
	// Auth is set for 401 and 403: the backend is marked down at once.
	Auth bool
	// Err is nil when Delivered. Otherwise an *HTTPError, possibly
	// wrapped in a *RetryAfterError, or a transport error with the URL
	// stripped.
	Err error
}

// Classify decides the fate of one remote-write answer: resp and err are
// what http.Client.Do returned, now is used to resolve a Retry-After
// date. It reads at most MaxErrorBody bytes of the body for the message,
// drains and closes it. The caller must check its own context first: a
// cancelled send classifies as a network error.
func Classify(resp *http.Response, err error, now time.Time) Result {
	if err != nil {
		return classifyTransport(err)
	}
	msg := readMessage(resp)
	res := Result{Verdict: verdictOf(resp.StatusCode), Status: resp.StatusCode, Code: strconv.Itoa(resp.StatusCode)}
	if res.Verdict == Delivered {
		return res
	}
	res.Auth = resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden
	res.Err = &HTTPError{Status: resp.StatusCode, Message: msg}
	if res.Verdict == Retry {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
			res.Err = &RetryAfterError{After: d, Err: res.Err}
		}
	}
	return res
}

// verdictOf maps a status code to a verdict. Unexpected 1xx and 3xx
// answers are retried: they signal a misconfiguration the operator can
// fix, and the data must still be there then.
func verdictOf(status int) Verdict {
	switch {
	case status >= 200 && status < 300:
		return Delivered
	case status >= 500, status == http.StatusTooManyRequests,
		status == http.StatusRequestTimeout,
		status == http.StatusUnauthorized, status == http.StatusForbidden:
		return Retry
	case status >= 400:
		return DeadLetter
	default:
		return Retry
	}
}

// classifyTransport handles an error before any answer: always retried.
// The *url.Error wrapper is removed so no URL reaches logs or Status.
func classifyTransport(err error) Result {
	res := Result{Verdict: Retry, Code: "network", Err: err}
	var ue *url.Error
	if errors.As(err, &ue) {
		res.Err = &transportError{op: ue.Op, err: ue.Err}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		res.Code = "timeout"
	}
	return res
}

// transportError is a *url.Error without its URL.
type transportError struct {
	op  string
	err error
}

func (e *transportError) Error() string { return e.op + ": " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// readMessage returns the start of the body as printable text, then
// drains a bounded remainder and closes the body.
func readMessage(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	return strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
}

// parseRetryAfter parses a Retry-After value: delay-seconds or an HTTP
// date. A date in the past yields 0, true.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(min(s, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
