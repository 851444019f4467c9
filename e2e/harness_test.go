package e2e

import (
	"testing"
	"time"

	"github.com/prws/prws/config"
	"github.com/prws/prws/daemon"
	"github.com/prws/prws/internal/testenv"
)

// instance is a wired daemon listening on a loopback port.
type instance struct {
	d    *daemon.Daemon
	url  string // remote-write URL
	base string // http://127.0.0.1:port
	env  *testenv.Daemon
}

// testConfig is a config with fast retries, pointed at the recorders.
func testConfig(t *testing.T, dataDir string, rs ...*testenv.Backend) config.Config {
	cfg := config.Defaults()
	cfg.DataDir = dataDir
	for _, r := range rs {
		cfg.Backends = append(cfg.Backends, r.URL())
	}
	cfg.MinWait = 5 * time.Millisecond
	cfg.MaxWait = 50 * time.Millisecond
	// Long enough that a recorder slowed by a loaded machine (race
	// detector, 2 cores) is not sent a batch again: the tests count
	// deliveries exactly, and a timed-out send is resent (at-least-once).
	cfg.RemoteTimeout = 10 * time.Second
	cfg.SegmentBytes = 256 << 10
	cfg.ShutdownDelay = 0
	return cfg
}

// start runs a daemon with cfg until the test ends.
func start(t *testing.T, cfg config.Config) *instance {
	t.Helper()
	env := testenv.StartDaemon(t, cfg, "test")
	return &instance{d: env.D, url: env.URL, base: env.Base, env: env}
}

func (in *instance) stop(t *testing.T) {
	in.env.Stop(t)
	in.d = nil
}
