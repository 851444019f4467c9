package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proxyKind names the relay under test.
type proxyKind string

const (
	kindPRWS    proxyKind = "prws"
	kindVMAgent proxyKind = "vmagent"
	// kindBaseline is another prws build (-baseline), run with the same
	// flags, for before/after comparisons in one run.
	kindBaseline proxyKind = "prws-before"
	// kindVMAgent2 is a second vmagent build (-vmagent2), typically a
	// newer release beside the Debian one.
	kindVMAgent2 proxyKind = "vmagent2"
)

// isVMAgent tells whether kind is one of the vmagent builds.
func isVMAgent(kind proxyKind) bool { return kind == kindVMAgent || kind == kindVMAgent2 }

// proxy is a running relay process.
type proxy struct {
	kind proxyKind
	cmd  *exec.Cmd
	dir  string // its temporary data dir
	URL  string // where to send remote write
	pid  int
}

// proxyConfig says how to start a relay.
type proxyConfig struct {
	PRWS     string // path of the prws binary
	Baseline string // path of a prws build to compare with; "" for none
	VMAgent  string // path of the vmagent binary
	VMAgent2 string // path of a second vmagent build; "" for none
	TmpDir   string // parent of the data dirs
	Shards   int    // prws --shard
	Batch    int    // prws --batch
	InFlight int    // prws --remote_write_max_in_flight; 0: its default
	Log      string // file the relays' output is appended to
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startProxy starts kind relaying to urls, writing each series to rf of
// them (vmagent replicates to every URL, so rf only applies to prws), and
// waits until it is ready.
func startProxy(ctx context.Context, kind proxyKind, cfg proxyConfig, urls []string, rf int) (*proxy, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(cfg.TmpDir, string(kind)+"-")
	if err != nil {
		return nil, err
	}
	p := &proxy{kind: kind, dir: dir, URL: "http://" + addr + "/api/v1/write"}
	var ready string
	switch kind {
	case kindPRWS, kindBaseline:
		bin := cfg.PRWS
		if kind == kindBaseline {
			bin = cfg.Baseline
		}
		p.cmd = exec.Command(bin, "--listen", addr, "--promes", strings.Join(urls, ","),
			"--replica_factor", strconv.Itoa(rf), "--shard_key", "series",
			"--shard", strconv.Itoa(cfg.Shards), "--batch", strconv.Itoa(cfg.Batch),
			"--remote_write_max_wait", "1s", "--data-dir", filepath.Join(dir, "data"), "--log.level", "warn")
		if cfg.InFlight > 0 {
			p.cmd.Args = append(p.cmd.Args, "--remote_write_max_in_flight", strconv.Itoa(cfg.InFlight))
		}
		ready = "http://" + addr + "/-/ready"
	case kindVMAgent, kindVMAgent2:
		args := []string{"-httpListenAddr", addr, "-remoteWrite.tmpDataPath", filepath.Join(dir, "vmagent"),
			"-loggerLevel", "WARN"}
		for _, u := range urls {
			args = append(args, "-remoteWrite.url="+u)
		}
		bin := cfg.VMAgent
		if kind == kindVMAgent2 {
			bin = cfg.VMAgent2
		}
		p.cmd = exec.Command(bin, args...)
		ready = "http://" + addr + "/health"
	}
	if cfg.Log != "" {
		if f, err := os.OpenFile(cfg.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
			p.cmd.Stdout, p.cmd.Stderr = f, f
		}
	}
	if err := p.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %w", kind, err)
	}
	p.pid = p.cmd.Process.Pid
	if err := waitReady(ctx, ready, 30*time.Second); err != nil {
		p.stop()
		return nil, fmt.Errorf("%s not ready: %w", kind, err)
	}
	return p, nil
}

// waitReady polls url until it answers 200.
func waitReady(ctx context.Context, url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer 200 within %s", url, limit)
}

// stop sends SIGTERM, waits up to 20 s (then SIGKILL) and removes the
// data dir.
func (p *proxy) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	_ = os.RemoveAll(p.dir)
}
