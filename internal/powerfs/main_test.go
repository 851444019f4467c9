package powerfs

import (
	"testing"

	"go.uber.org/goleak"
)

// Unmount must stop every goroutine of the server, or the tests of
// packages that check for leaks (queue, replay) could not use a mount.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
