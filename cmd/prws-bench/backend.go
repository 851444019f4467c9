package main

import (
	"context"
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// backend is where a drain scenario delivers: a sink of this process or a
// real server. delivered counts every sample it accepted since it was
// created, across outages. Not safe for concurrent setDown calls.
type backend interface {
	name() string       // what the result table calls it
	url() string        // its remote-write URL
	delivered() int64   // samples accepted so far
	setDown(bool) error // take it down (true) or bring it back
	pollEvery() time.Duration
	close()
}

// sinkBackend is a sink of this process; down means 503.
type sinkBackend struct{ s *sink }

func (b sinkBackend) name() string             { return b.s.opt.describe() }
func (b sinkBackend) url() string              { return b.s.URL }
func (b sinkBackend) delivered() int64         { return b.s.samples.Load() }
func (b sinkBackend) pollEvery() time.Duration { return 20 * time.Millisecond }
func (b sinkBackend) close()                   { b.s.close() }
func (b sinkBackend) setDown(down bool) error  { b.s.down.Store(down); return nil }

// vmRowsMetric counts the rows VictoriaMetrics decoded from remote-write
// requests it accepted: exact, and it counts arrivals, not what storage
// later merges or deduplicates.
const vmRowsMetric = "vm_rows_inserted_total"

// vmBackend is a single-node VictoriaMetrics server on 127.0.0.1 with its
// storage in a temporary directory. Down stops the process (the relays
// see connection refused); up starts it again on the same address and
// storage. Its counter restarts with the process, so prior keeps what
// earlier incarnations counted.
type vmBackend struct {
	bin, addr, dir, log, version string
	mu                           sync.Mutex // guards cmd and prior
	cmd                          *exec.Cmd
	prior                        int64
}

// startVM starts bin with its storage under tmp, logging to logFile.
func startVM(ctx context.Context, bin, tmp, logFile string) (*vmBackend, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tmp, "victoria-metrics-")
	if err != nil {
		return nil, err
	}
	v := &vmBackend{bin: bin, addr: addr, dir: dir, log: logFile, version: binVersion(bin)}
	if err := v.start(ctx); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return v, nil
}

// start runs the server and waits for /health.
func (v *vmBackend) start(ctx context.Context) error {
	cmd := exec.Command(v.bin, "-httpListenAddr", v.addr, "-storageDataPath", filepath.Join(v.dir, "data"),
		"-retentionPeriod", "100y", "-loggerLevel", "WARN")
	if f, err := os.OpenFile(v.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", v.bin, err)
	}
	v.mu.Lock()
	v.cmd = cmd
	v.mu.Unlock()
	if err := waitReady(ctx, "http://"+v.addr+"/health", 60*time.Second); err != nil {
		v.stop()
		return fmt.Errorf("victoria-metrics not ready: %w", err)
	}
	return nil
}

// stop ends the server (SIGTERM, SIGKILL after 30 s), keeping its count.
func (v *vmBackend) stop() {
	v.mu.Lock()
	cmd := v.cmd
	v.cmd = nil
	v.mu.Unlock()
	if cmd == nil {
		return
	}
	n := v.current()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
	v.mu.Lock()
	v.prior += max(n, 0)
	v.mu.Unlock()
}

// current is the running server's row counter; 0 while it is down or
// before its first write creates the metric.
func (v *vmBackend) current() int64 {
	n := scrapeSum("http://"+v.addr+"/metrics", vmRowsMetric)
	return int64(max(n, 0))
}

func (v *vmBackend) name() string {
	return "victoria-metrics " + v.version + " (" + vmRowsMetric + ")"
}
func (v *vmBackend) url() string              { return "http://" + v.addr + "/api/v1/write" }
func (v *vmBackend) pollEvery() time.Duration { return 100 * time.Millisecond }

func (v *vmBackend) delivered() int64 {
	v.mu.Lock()
	prior, up := v.prior, v.cmd != nil
	v.mu.Unlock()
	if !up {
		return prior
	}
	return prior + v.current()
}

func (v *vmBackend) setDown(down bool) error {
	v.mu.Lock()
	up := v.cmd != nil
	v.mu.Unlock()
	switch {
	case down && up:
		v.stop()
	case !down && !up:
		return v.start(context.Background())
	}
	return nil
}

func (v *vmBackend) close() {
	v.stop()
	_ = os.RemoveAll(v.dir)
}

// binVersion returns the release of a Go binary: its main module version
// when it was built with go install, else the version of the Debian
// package that owns it, else "?".
func binVersion(bin string) string {
	if bi, err := buildinfo.ReadFile(bin); err == nil && strings.HasPrefix(bi.Main.Version, "v") {
		return bi.Main.Version
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return "?"
	}
	owner, err := exec.Command("dpkg-query", "-S", path).Output()
	pkg, _, ok := strings.Cut(string(owner), ":")
	if err != nil || !ok {
		return "?"
	}
	v, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", pkg).Output()
	if err != nil || len(v) == 0 {
		return "?"
	}
	return "Debian " + string(v)
}
