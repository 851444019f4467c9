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
	// Refused: the backend will never accept this content (400, 409,
	// 413, 422: something in the batch is wrong, out of order or too
	// large). The worker splits the batch and parks only what the
	// backend refuses alone.
	Refused
)

// Result is Classify's decision.
type Result struct {
	Verdict Verdict
	Status  int    // HTTP status; 0 when no answer arrived
	Code    string // metric label: the status, "network" or "timeout"
	// Down is set for answers that refuse the request whatever it holds
	// (401, 403, 404, 405 and the other 4xx that are not Refused): a
	// wrong URL, method or credentials. They are retried and the backend
	// is marked down at once.
	Down bool
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
	res.Down = res.Verdict == Retry && resp.StatusCode >= 400 && resp.StatusCode < 500 &&
		resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusRequestTimeout
	res.Err = &HTTPError{Status: resp.StatusCode, Message: msg}
	if res.Verdict == Retry {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
			res.Err = &RetryAfterError{After: d, Err: res.Err}
		}
	}
	return res
}

// verdictOf maps a status code to a verdict. Only the 4xx a part of the
// content can cause are Refused; every other answer is retried: 5xx, 429
// and 408 are the backend's trouble, the other 4xx (401, 403, 404, 405,
// 406, 410, 411, 414, 415, 431, ...) and unexpected 1xx and 3xx answers a
// misconfiguration the operator can fix, and the data must still be there
// then.
func verdictOf(status int) Verdict {
	switch status {
	case http.StatusBadRequest, http.StatusConflict,
		http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return Refused
	}
	if status >= 200 && status < 300 {
		return Delivered
	}
	return Retry
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
