//go:build linux

package real

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prws/prws/internal/testenv"
)

// server is a long-running HTTP server process on a loopback port. Its
// address is picked at the first start and kept across restarts, as is its
// data (args decides where that lives).
type server struct {
	name      string
	bin       string
	args      func(addr string) ([]string, error) // may write config files
	readyPath string                              // answers 200 once serving
	logPath   string
	addr      string // 127.0.0.1:port
	p         *proc  // the current process
}

// newServer describes a server whose log goes to logDir/name.log.
func newServer(name, bin, readyPath, logDir string, args func(string) ([]string, error)) *server {
	return &server{name: name, bin: bin, args: args, readyPath: readyPath,
		logPath: filepath.Join(logDir, name+".log")}
}

// base is the server's root URL.
func (s *server) base() string { return "http://" + s.addr }

// start launches the server on a free port and waits until it is ready.
// A port taken between probing and binding is retried on a fresh one.
func (s *server) start(t *testing.T) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		s.addr = testenv.FreeAddr(t)
		err := s.launch(t)
		if err == nil {
			return
		}
		if attempt < 3 && strings.Contains(tail(s.logPath, 20), "address already in use") {
			t.Logf("%s: %s was taken, retrying on another port", s.name, s.addr)
			continue
		}
		t.Fatalf("%s: %v\nlast log lines:\n%s", s.name, err, tail(s.logPath, 30))
	}
}

// restart launches the server again on its address and data and waits
// until it is ready. The previous process must have exited.
func (s *server) restart(t *testing.T) {
	t.Helper()
	if err := s.launch(t); err != nil {
		t.Fatalf("%s: restart: %v\nlast log lines:\n%s", s.name, err, tail(s.logPath, 30))
	}
}

// launch starts one process and waits (30 s at most) for readiness.
func (s *server) launch(t *testing.T) error {
	args, err := s.args(s.addr)
	if err != nil {
		return err
	}
	p, err := startProc(s.name, s.logPath, s.bin, args...)
	if err != nil {
		return err
	}
	s.p = p
	t.Cleanup(p.kill)
	err = waitFor(30*time.Second, s.name+" to be ready", func() (bool, string) {
		if p.exited() {
			return true, ""
		}
		return s.ready()
	})
	if err == nil && p.exited() {
		err = fmt.Errorf("exited before it was ready: %v", p.err)
	}
	if err != nil {
		p.kill()
	}
	return err
}

// ready asks the readiness endpoint once.
func (s *server) ready() (bool, string) {
	resp, err := httpc.Get(s.base() + s.readyPath)
	if err != nil {
		return false, err.Error()
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, resp.Status
}

// stop ends the server with SIGTERM (SIGKILL after grace) and fails the
// test when it did not exit cleanly.
func (s *server) stop(t *testing.T, grace time.Duration) {
	t.Helper()
	if err := s.p.stop(grace); err != nil {
		t.Errorf("%s: stop: %v\nlast log lines:\n%s", s.name, err, tail(s.logPath, 30))
	}
}

// httpc is the client of every query the tests make; every call is bounded.
var httpc = &http.Client{Timeout: 10 * time.Second}
