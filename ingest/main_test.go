package ingest

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind (a
// handler still waiting on a done channel, a queue writer).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
