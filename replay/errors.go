package replay

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// HTTPError is a non-2xx answer of a backend.
type HTTPError struct {
	Status  int
	Message string // start of the response body, at most MaxErrorBody bytes
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("server returned HTTP status %d %s", e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// RetryAfterError is a retryable answer that said when to come back.
type RetryAfterError struct {
	After time.Duration // how long the server asked to wait; ≥ 0
	Err   error         // the answer, usually an *HTTPError
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%v (retry after %v)", e.Err, e.After)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns the wait carried by a *RetryAfterError in err's
// chain, or 0.
func RetryAfter(err error) time.Duration {
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return ra.After
	}
	return 0
}

// ErrNoDeadLetters is returned by NewWorker for Options without
// DeadLetters: a worker must have somewhere durable to put the batches a
// backend refuses for good, or it would have to discard them.
var ErrNoDeadLetters = errors.New("replay: Options.DeadLetters is required")
