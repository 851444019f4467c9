//go:build linux

package real

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// stack is one sender → prws → backends pipeline: Prometheus backends
// then VictoriaMetrics (the --promes order), prws, and a Prometheus agent
// scraping all of them and itself every second.
type stack struct {
	rf       int
	dir      string
	prwsBin  string
	backends []*server // --promes order
	proms    []*server // the Prometheus ones among backends
	vm       *server
	prws     *server
	agent    *server
	started  time.Time
}

// bins are the installed server binaries the stack runs.
type bins struct{ prometheus, vm, prws string }

// startStack starts nProm Prometheus backends, one VictoriaMetrics, prws
// with replica factor rf and the agent, all stopped when the test ends.
// On failure the test log gets every server's last log lines and the queues.
func startStack(t *testing.T, b bins, nProm, rf int) *stack {
	t.Helper()
	st := &stack{rf: rf, dir: t.TempDir(), prwsBin: b.prws, started: time.Now()}
	t.Cleanup(func() {
		if t.Failed() {
			st.dumpDiagnostics(t)
		}
	})
	for i := range nProm {
		s := st.promBackend(b.prometheus, fmt.Sprintf("prometheus-%d", i+1))
		s.start(t)
		st.proms = append(st.proms, s)
		st.backends = append(st.backends, s)
	}
	st.vm = st.vmBackend(b.vm)
	st.vm.start(t)
	st.backends = append(st.backends, st.vm)
	st.prws = newServer("prws", b.prws, "/-/ready", st.dir, st.prwsArgs)
	st.prws.start(t)
	st.agent = newServer("agent", b.prometheus, "/-/ready", st.dir, st.agentArgs)
	st.agent.start(t)
	return st
}

// subdir makes and returns dir/name.
func (st *stack) subdir(name string) string {
	d := filepath.Join(st.dir, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		panic(err) // t.TempDir is ours: cannot happen short of a full disk
	}
	return d
}

// promBackend is a Prometheus with the remote-write receiver and no
// scrape jobs of its own.
func (st *stack) promBackend(bin, name string) *server {
	dir := st.subdir(name)
	return newServer(name, bin, "/-/ready", st.dir, func(addr string) ([]string, error) {
		cfg := filepath.Join(dir, "prometheus.yml")
		if err := os.WriteFile(cfg, []byte("global:\n  scrape_interval: 1s\n"), 0o644); err != nil {
			return nil, err
		}
		return []string{"--config.file=" + cfg, "--storage.tsdb.path=" + filepath.Join(dir, "tsdb"),
			"--web.listen-address=" + addr, "--web.enable-remote-write-receiver"}, nil
	})
}

// vmBackend is a single-node VictoriaMetrics answering fresh data at once.
func (st *stack) vmBackend(bin string) *server {
	dir := st.subdir("victoria-metrics")
	return newServer("victoria-metrics", bin, "/health", st.dir, func(addr string) ([]string, error) {
		return []string{"-storageDataPath=" + dir, "-httpListenAddr=" + addr, "-retentionPeriod=1d",
			"-search.latencyOffset=0s", "-search.disableCache"}, nil
	})
}

// promes is the --promes value: every backend's remote-write URL.
func (st *stack) promes() string {
	urls := make([]string, len(st.backends))
	for i, b := range st.backends {
		urls[i] = b.base() + "/api/v1/write"
	}
	return strings.Join(urls, ",")
}

// ringFlags are the flags prws and `prws ring` share.
func (st *stack) ringFlags() []string {
	return []string{"--promes", st.promes(), "--shard", "2", "--replica_factor", strconv.Itoa(st.rf)}
}

func (st *stack) prwsArgs(addr string) ([]string, error) {
	return append(st.ringFlags(), "--listen", addr, "--data-dir", st.subdir("prws"),
		"--remote_write_min_wait", "50ms", "--remote_write_max_wait", "1s"), nil
}

// agentArgs writes the agent's configuration: scrape everything every
// second, remote-write through prws with short deadlines and backoffs.
func (st *stack) agentArgs(addr string) ([]string, error) {
	dir := st.subdir("agent")
	var backends []string
	for _, b := range st.backends {
		backends = append(backends, strconv.Quote(b.addr))
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: agent
    static_configs: [{targets: [%q]}]
  - job_name: backends
    static_configs: [{targets: [%s]}]
  - job_name: prws
    static_configs: [{targets: [%q]}]
remote_write:
  - url: %q
    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}
    metadata_config: {send_interval: 1s}
`, addr, strings.Join(backends, ", "), st.prws.addr, st.prws.base()+"/api/v1/receive")
	path := filepath.Join(dir, "agent.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	return []string{"--enable-feature=agent", "--config.file=" + path,
		"--storage.agent.path=" + filepath.Join(dir, "wal"), "--web.listen-address=" + addr}, nil
}

// targets are the agent's scrape targets as (job, instance) pairs.
func (st *stack) targets() [][2]string {
	out := [][2]string{{"agent", st.agent.addr}, {"prws", st.prws.addr}}
	for _, b := range st.backends {
		out = append(out, [2]string{"backends", b.addr})
	}
	return out
}

// dumpDiagnostics logs every server's last lines and prws's queues.
func (st *stack) dumpDiagnostics(t *testing.T) {
	for _, s := range append([]*server{st.prws, st.agent}, st.backends...) {
		if s != nil {
			t.Logf("---- %s (%s), last log lines:\n%s", s.name, s.addr, tail(s.logPath, 25))
		}
	}
	out, err := exec.Command(st.prwsBin, "queues", "--data-dir", filepath.Join(st.dir, "prws")).CombinedOutput()
	t.Logf("---- prws queues (err %v):\n%s", err, out)
}
