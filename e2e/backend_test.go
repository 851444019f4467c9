package e2e

import (
	"testing"

	"github.com/prws/prws/internal/testenv"
)

// newRecorder starts a backend that records each sample it accepts by
// series (testenv.SeriesKey).
func newRecorder(t *testing.T) *testenv.Backend {
	return testenv.NewBackend(t, testenv.BackendOptions{})
}

// newHdrBackend starts a recorder that also keeps the headers of every
// request.
func newHdrBackend(t *testing.T) *testenv.Backend {
	return testenv.NewBackend(t, testenv.BackendOptions{KeepHeaders: true})
}

// echoFail is the behavior of a backend answering code with a body that
// echoes every request header, as some proxies do, so secrets in them
// would reach prws's error texts (0: accept).
func echoFail(code int) testenv.Behavior {
	if code == 0 {
		return nil
	}
	return testenv.EchoHeaders(code)
}
