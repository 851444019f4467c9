// Package testenv holds helpers shared by the prws end-to-end, chaos and
// real-server tests: building the prws binary, picking a free loopback
// address, running a process in its own process group, running an
// in-process daemon (StartDaemon), sending and decoding a remote-write
// request (PostWrite, DecodeWrite, EncodeWrite, NodeSeries), a recording
// remote-write backend with pluggable failure behaviour (Backend), a
// recording load generator (Load), finding and damaging queue
// segment files (Segments, FlipInSecondRecord), and polling until a
// condition holds.
//
// It is for tests only; nothing outside *_test.go files should import it.
package testenv

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// built is the package's only state: the result of the one go build per
// test process that BuildPrws does.
var built = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "prws-test-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "prws")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/prws/prws").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// BuildPrws builds the prws binary once per test process, into a fresh
// temporary directory, and returns its path. Later calls return the same
// path (or the same error). The binary is built with the default
// environment and without -race. A caller that wants the directory gone
// removes filepath.Dir of the path when its tests are done.
func BuildPrws() (string, error) { return built() }

// FreeAddr returns a loopback address (127.0.0.1:port) whose port was free
// a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Eventually polls cond every 20 ms until it holds, and fails the test when
// limit passes first.
func Eventually(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	EventuallyEvery(t, 20*time.Millisecond, limit, what, cond)
}

// EventuallyEvery is Eventually polling every every.
func EventuallyEvery(t testing.TB, every, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(every)
	}
}

// Buffer is a bytes.Buffer safe for a writing process and a reading test.
type Buffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Proc is a process that leads its own process group, with its combined
// output in Log.
type Proc struct {
	Cmd  *exec.Cmd
	Log  *Buffer
	done chan struct{}
}

// StartProc starts name with args as the leader of a new process group,
// collecting stdout and stderr in Log. It fails the test when the start
// fails, and registers Kill with t.Cleanup.
func StartProc(t testing.TB, name string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Log: &Buffer{}, done: make(chan struct{})}
	p.Cmd = exec.Command(name, args...)
	p.Cmd.Stdout, p.Cmd.Stderr = p.Log, p.Log
	p.Cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.Cmd.Wait(); close(p.done) }()
	t.Cleanup(p.Kill)
	return p
}

// Done is closed once the process has exited and Cmd.ProcessState is set.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Kill sends SIGKILL to the process group and waits until the process is
// gone. It may be called any number of times.
func (p *Proc) Kill() {
	if p.Cmd.Process != nil {
		syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	}
	<-p.done
}
