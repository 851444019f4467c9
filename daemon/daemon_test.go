package daemon

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/prws/prws/config"
	"github.com/prws/prws/internal/lockfile"
)

// TestNewFailsCleanly: a start-up error is returned, not a panic, and
// whatever New had opened is closed again (a second New on the same data
// dir can then succeed).
func TestNewFailsCleanly(t *testing.T) {
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.Backends = []string{"http://127.0.0.1:1/api/v1/write"}
	cfg.ShutdownDelay = 0
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	first, err := New(cfg, "test", log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, "test", log); !errors.Is(err, lockfile.ErrHeld) {
		t.Fatalf("second New on a held data dir: %v, want ErrHeld", err)
	}
	if err := first.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	again, err := New(cfg, "test", log)
	if err != nil {
		t.Fatalf("New after the holder shut down: %v", err)
	}
	again.Shutdown(t.Context())
}
