package chaos

import (
	"strings"
	"testing"
)

// panicked fails the scenario when a process log shows a Go panic: a
// start-up error must be a clear message and a non-zero exit, never a
// stack trace.
func panicked(t *testing.T, r *row, log string) {
	t.Helper()
	if strings.Contains(log, "panic:") {
		r.Note = "process panicked; " + r.Note
		t.Fatalf("process panicked:\n%s", log)
	}
}

// firstLine returns the first line of s.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
