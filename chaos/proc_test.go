package chaos

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prws/prws/internal/testenv"
)

// proc is one prws process started from the binary.
type proc struct {
	*testenv.Proc
	listen string
	url    string        // remote-write URL
	ready  time.Duration // start to /-/ready
}

// launch starts prws with args and returns without waiting for readiness.
// wrap, when given, is a command prefix (e.g. prlimit ...).
func launch(t *testing.T, listen string, wrap []string, args ...string) *proc {
	t.Helper()
	argv := append(append([]string{}, wrap...), binPath, "run", "--listen", listen)
	argv = append(argv, args...)
	return &proc{Proc: testenv.StartProc(t, argv[0], argv[1:]...), listen: listen, url: "http://" + listen + "/api/v1/receive"}
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
		t.Fatalf("prws not ready after %v:\n%s", time.Since(began), p.Log.String())
	}
	p.ready = time.Since(began)
	return p
}

// waitReady polls /-/ready until 200, the process exits or limit passes.
func (p *proc) waitReady(limit time.Duration) bool {
	return testenv.WaitReady(p.listen, p.Proc, limit)
}

// exited waits up to limit for the process to exit and returns its exit
// code, or -1 when it is still running.
func (p *proc) exited(limit time.Duration) int {
	select {
	case <-p.Done():
		return p.Cmd.ProcessState.ExitCode()
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

// eventually polls cond every 50 ms (not testenv.Eventually's 20 ms: some
// conditions here send writes or scrape prws, so the rate is part of the
// scenario) until it holds or limit passes.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	testenv.EventuallyEvery(t, 50*time.Millisecond, limit, what, cond)
}
