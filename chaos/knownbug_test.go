package chaos

import (
	"strings"
	"testing"
)

// knownBug records a defect found by a scenario that is not fixed yet.
// Under PRWS_CHAOS=full the scenario fails; in the default run it is
// skipped with the reason, so the rest of the suite stays a gate. Once
// the defect is fixed the scenario no longer reaches this call.
func knownBug(t *testing.T, r *row, what string) {
	t.Helper()
	r.Note = "KNOWN BUG: " + what + "; " + r.Note
	if full {
		t.Fatalf("known bug: %s", what)
	}
	t.Skipf("known bug (fails under PRWS_CHAOS=full): %s", what)
}

// panicked reports a Go panic in a process log as a known bug: every
// start-up error of daemon.New turns into a nil dereference because its
// deferred cleanup runs after `return nil, err` cleared the named result.
func panicked(t *testing.T, r *row, log string) {
	t.Helper()
	if strings.Contains(log, "panic:") && strings.Contains(log, "closeAll") {
		knownBug(t, r, "daemon.New panics in its deferred closeAll on a nil *Daemon instead of printing the error")
	}
	if strings.Contains(log, "panic:") {
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
