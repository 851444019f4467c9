package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// prwsBinary builds the prws binary once per test run.
var prwsBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "prws-e2e-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "prws")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/prws/prws").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// proc is a prws process started from the binary.
type proc struct {
	cmd  *exec.Cmd
	url  string
	log  *strings.Builder
	done chan struct{}
}

// freePort returns a loopback address that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startBinary runs prws with args on listen and waits until it is ready.
func startBinary(t *testing.T, listen string, args ...string) *proc {
	t.Helper()
	bin, err := prwsBinary()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{log: &strings.Builder{}, done: make(chan struct{}), url: "http://" + listen + "/api/v1/receive"}
	p.cmd = exec.Command(bin, append([]string{"run", "--listen", listen}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + listen + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("prws exited during start-up:\n%s", p.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("prws not ready after 15s:\n%s", p.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	if p.cmd.Process != nil {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-p.done
}

// term sends SIGTERM and waits (bounded) for a clean exit.
func (p *proc) term(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if !p.cmd.ProcessState.Success() {
			t.Errorf("prws exited with %v after SIGTERM:\n%s", p.cmd.ProcessState, p.log.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("prws did not exit within 20s of SIGTERM:\n%s", p.log.String())
	}
}
