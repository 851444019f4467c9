package chaos

import (
	"testing"
	"time"

	"github.com/prws/prws/config"
	"github.com/prws/prws/daemon"
	"github.com/prws/prws/internal/testenv"
)

// instance is an in-process daemon on a loopback port.
type instance struct {
	d   *daemon.Daemon
	url string
	env *testenv.Daemon
}

// startDaemon runs an in-process daemon sending to w's backends with fast
// retries and a 1 s remote timeout.
func startDaemon(t *testing.T, w *world, dir string, edit func(*config.Config)) *instance {
	t.Helper()
	cfg := config.Defaults()
	cfg.ShutdownDelay = 0
	cfg.DataDir = dir
	for _, b := range w.backends {
		cfg.Backends = append(cfg.Backends, b.URL())
	}
	cfg.MinWait, cfg.MaxWait = 5*time.Millisecond, 200*time.Millisecond
	cfg.RemoteTimeout = time.Second
	cfg.SegmentBytes = 256 << 10
	if edit != nil {
		edit(&cfg)
	}
	env := testenv.StartDaemon(t, cfg, "chaos")
	return &instance{d: env.D, url: env.URL, env: env}
}

func (in *instance) stop(t *testing.T) {
	in.env.Stop(t)
	in.d = nil
}
