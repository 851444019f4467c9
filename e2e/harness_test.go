package e2e

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/prws/prws/config"
	"github.com/prws/prws/daemon"
)

// instance is a wired daemon listening on a loopback port.
type instance struct {
	d    *daemon.Daemon
	url  string // remote-write URL
	base string // http://127.0.0.1:port
}

// testConfig is a config with fast retries, pointed at the recorders.
func testConfig(t *testing.T, dataDir string, rs ...*recorder) config.Config {
	cfg := config.Defaults()
	cfg.DataDir = dataDir
	for _, r := range rs {
		cfg.Backends = append(cfg.Backends, r.URL())
	}
	cfg.MinWait = 5 * time.Millisecond
	cfg.MaxWait = 50 * time.Millisecond
	cfg.RemoteTimeout = 2 * time.Second
	cfg.SegmentBytes = 256 << 10
	cfg.ShutdownDelay = 0
	return cfg
}

// start runs a daemon with cfg until the test ends.
func start(t *testing.T, cfg config.Config) *instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	d, err := daemon.New(cfg, "test", log)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	if err := d.Start(ln); err != nil {
		t.Fatal(err)
	}
	in := &instance{d: d, base: "http://" + cfg.Listen}
	in.url = in.base + cfg.RemotePath
	t.Cleanup(func() { in.stop(t) })
	return in
}

func (in *instance) stop(t *testing.T) {
	if in.d == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.d.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	in.d = nil
}
