package chaos

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuf is a bytes.Buffer safe for a writing process and a reading test.
type syncBuf struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is one prws process started from the binary.
type proc struct {
	cmd    *exec.Cmd
	listen string
	url    string // remote-write URL
	log    *syncBuf
	done   chan struct{}
	ready  time.Duration // start to /-/ready
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

// launch starts prws with args and returns without waiting for readiness.
// wrap, when given, is a command prefix (e.g. prlimit ...).
func launch(t *testing.T, listen string, wrap []string, args ...string) *proc {
	t.Helper()
	argv := append(append([]string{}, wrap...), binPath, "run", "--listen", listen)
	argv = append(argv, args...)
	p := &proc{listen: listen, url: "http://" + listen + "/api/v1/receive", log: &syncBuf{}, done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	return p
}

// startProc starts prws and waits (at most 15 s) until /-/ready answers 200.
func startProc(t *testing.T, listen string, args ...string) *proc {
	t.Helper()
	return startWrapped(t, listen, nil, args...)
}

func startWrapped(t *testing.T, listen string, wrap []string, args ...string) *proc {
	t.Helper()
	began := time.Now()
	p := launch(t, listen, wrap, args...)
	if !p.waitReady(15 * time.Second) {
		t.Fatalf("prws not ready after %v:\n%s", time.Since(began), p.log.String())
	}
	p.ready = time.Since(began)
	return p
}

// waitReady polls /-/ready until 200, the process exits or limit passes.
func (p *proc) waitReady(limit time.Duration) bool {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if resp, err := c.Get("http://" + p.listen + "/-/ready"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		select {
		case <-p.done:
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
	return false
}

// kill sends SIGKILL to the process group and waits until it is gone.
func (p *proc) kill() {
	if p.cmd.Process != nil {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-p.done
}

// exited waits up to limit for the process to exit and returns its exit
// code, or -1 when it is still running.
func (p *proc) exited(limit time.Duration) int {
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		return -1
	}
}

// metric returns the sum of every sample of /metrics whose line starts
// with name (labels included in the prefix if given).
func (p *proc) metric(t *testing.T, name string) float64 {
	t.Helper()
	return scrape(t, "http://"+p.listen+"/metrics", name)
}

func scrape(t *testing.T, url, name string) float64 {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Logf("scrape: %v", err)
		return -1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name) {
			continue
		}
		if rest := line[len(name):]; !strings.Contains(name, "{") && (rest == "" || (rest[0] != ' ' && rest[0] != '{')) {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
				sum += v
			}
		}
	}
	return sum
}

// eventually polls cond every 50 ms until it holds or limit passes.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
