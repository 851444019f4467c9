package testenv

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

// Daemon is an in-process prws daemon listening on a loopback port.
type Daemon struct {
	D    *daemon.Daemon // nil once stopped
	Base string         // http://127.0.0.1:port
	URL  string         // the remote-write URL
}

// StartDaemon runs a daemon of cfg, with Listen set to a free loopback
// port, until the test ends (or Stop). It logs to stderr at debug level
// under go test -v and nowhere otherwise.
func StartDaemon(t testing.TB, cfg config.Config, version string) *Daemon {
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
	d, err := daemon.New(cfg, version, log)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	if err := d.Start(ln); err != nil {
		t.Fatal(err)
	}
	in := &Daemon{D: d, Base: "http://" + cfg.Listen}
	in.URL = in.Base + cfg.RemotePath
	t.Cleanup(func() { in.Stop(t) })
	return in
}

// Stop shuts the daemon down, giving it 10 s, and fails the test if that
// fails. Calling it again does nothing.
func (in *Daemon) Stop(t testing.TB) {
	if in.D == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.D.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	in.D = nil
}
