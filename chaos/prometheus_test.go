package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prws/prws/internal/testenv"
)

const prometheusBin = "/usr/bin/prometheus"

// startPrometheus runs a real Prometheus with the remote-write receiver on
// a loopback port and returns its base URL.
func startPrometheus(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(prometheusBin); err != nil {
		t.Skipf("%s not installed", prometheusBin)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte("global:\n  scrape_interval: 1h\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	listen := testenv.FreeAddr(t)
	logs := &testenv.Buffer{}
	cmd := exec.Command(prometheusBin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+listen, "--web.enable-remote-write-receiver")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := "http://" + listen
	eventually(t, 30*time.Second, "prometheus to be ready", func() bool {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return base
}

// killProxy forwards remote-write requests to a backend; on the killAt-th
// request the backend accepts with 2xx it kills victim before relaying the
// answer, so prws never learns the batch was committed.
type killProxy struct {
	target   string
	killAt   int64
	victim   atomic.Pointer[proc]
	n        atomic.Int64
	killed   atomic.Bool
	mu       sync.Mutex // guards after and killBody
	after    []int      // answers relayed after the kill
	killBody []byte     // the request whose answer the kill cut off
}

func (k *killProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, _ := http.NewRequest(http.MethodPost, k.target, bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ok := resp.StatusCode/100 == 2
	if ok && !k.killed.Load() && k.n.Add(1) == k.killAt {
		k.mu.Lock()
		k.killBody = body
		k.mu.Unlock()
		k.killed.Store(true)
		k.victim.Load().Kill()
		if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
			c.Close()
		}
		return
	}
	if k.killed.Load() {
		k.mu.Lock()
		if bytes.Equal(body, k.killBody) {
			k.after = append(k.after, -resp.StatusCode) // the resent batch
		} else {
			k.after = append(k.after, resp.StatusCode)
		}
		k.mu.Unlock()
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(msg)
}

// TestCrashAfterBackendCommit: prws dies after Prometheus committed a
// batch but before prws saw the 2xx. After the restart the same batch is
// resent and accepted (duplicates) or refused whole, and every
// acknowledged sample is in Prometheus, checked sample by sample.
func TestCrashAfterBackendCommit(t *testing.T) {
	r := &row{Scenario: "crash between backend 2xx and cursor save", Injected: "kill -9 after Prometheus answered 2xx"}
	report(t, r)
	prom := startPrometheus(t)
	kp := &killProxy{target: prom + "/api/v1/write", killAt: 5}
	proxy := httptest.NewServer(kp)
	t.Cleanup(proxy.Close)
	dir, listen := t.TempDir(), testenv.FreeAddr(t)
	args := []string{"--data-dir", dir, "--promes", proxy.URL + "/api/v1/write", "--shard", "1", "--batch", "250",
		"--remote_write_min_wait", "20ms", "--remote_write_max_wait", "200ms"}
	p := startProc(t, listen, args...)
	kp.victim.Store(p)
	l := newLoad(p.url, 100, 100)
	for i := 0; i < 2000 && !kp.killed.Load(); i++ {
		l.One(p.url)
		time.Sleep(5 * time.Millisecond)
	}
	if !kp.killed.Load() {
		t.Fatal("the proxy never killed prws")
	}
	<-p.Done()
	p = startProc(t, listen, args...)
	for i := 0; i < 20; i++ {
		l.One(p.url)
	}
	eventually(t, 30*time.Second, "the queue to drain", func() bool { return pending(t, p) == 0 })
	got := promSamples(t, prom)
	for _, k := range l.Acked() {
		for _, id := range l.SeriesOf(k) {
			r.Acked++
			if got[testenv.SampleKey(id, k)] {
				r.Delivered++
			} else if r.Lost++; r.Lost == 1 {
				t.Errorf("series %d request %d missing from Prometheus", id, k)
			}
		}
	}
	kp.mu.Lock()
	after := kp.after
	kp.mu.Unlock()
	resent := "not resent"
	for _, c := range after {
		if c < 0 {
			resent = fmt.Sprintf("resent byte-identical, Prometheus answered %d", -c)
			if -c/100 == 2 {
				r.Dup = 250
			}
		}
	}
	if resent == "not resent" {
		t.Errorf("the committed batch was not resent with the same bytes; answers after restart %v", after)
	}
	r.Note = resent
	l.CheckUnexpected(t)
}

// promSamples reads every chaos_metric sample from Prometheus.
func promSamples(t *testing.T, base string) map[uint64]bool {
	t.Helper()
	q := url.Values{"query": {"chaos_metric[1h]"}, "time": {strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)}}
	resp, err := http.Get(base + "/api/v1/query?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	got := map[uint64]bool{}
	for _, s := range out.Data.Result {
		id, _ := strconv.Atoi(s.Metric["s"])
		for _, v := range s.Values {
			ts := int64(v[0].(float64)*1000 + 0.5)
			got[testenv.SampleKey(uint32(id), ts-tsBase)] = true
		}
	}
	return got
}
