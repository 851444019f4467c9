package chaos

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/prws/prws/config"
	"github.com/prws/prws/daemon"
)

// instance is an in-process daemon on a loopback port.
type instance struct {
	d   *daemon.Daemon
	url string
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	d, err := daemon.New(cfg, "chaos", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	if err := d.Start(ln); err != nil {
		t.Fatal(err)
	}
	in := &instance{d: d, url: "http://" + cfg.Listen + cfg.RemotePath}
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
