package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/internal/testenv"
)

// jobSeries returns n series numbered from, job "node" for even numbers
// and "api" for odd ones, mode m0..m4, one sample each.
func jobSeries(from, n int) []prompb.TimeSeries {
	out := testenv.NodeSeries(from, n, 1000)
	for i := range out {
		for j := range out[i].Labels {
			if out[i].Labels[j].Name == "job" && (from+i)%2 == 1 {
				out[i].Labels[j].Value = "api"
			}
		}
	}
	return out
}

// relabelYAML routes node series to b only (and drops their instance
// label there), the others to a only; globally mode="m4" is dropped.
func relabelYAML(a, b string) string {
	return `relabel_configs:
  - {source_labels: [mode], regex: m4, action: drop}
backends:
  - url: '` + a + `'
    write_relabel_configs:
      - {source_labels: [job], regex: 'node.*', action: drop}
  - url: '` + b + `'
    write_relabel_configs:
      - {source_labels: [job], regex: 'node.*', action: keep}
      - {regex: instance, action: labeldrop}
`
}

// TestRelabelRoutesSubsetToOneBackend: with two backends and
// --replica_factor 2, node series land on b only (without their
// instance label), the others on a only, mode="m4" nowhere; every
// series where the rules say, once, and the drops are counted.
func TestRelabelRoutesSubsetToOneBackend(t *testing.T) {
	a, b := newRecorder(t), newRecorder(t)
	dir := t.TempDir()
	cfg := fastConfig(dir)
	cfg.ReplicaFactor = 2
	cfg.ConfigFile = writeYAML(t, dir, relabelYAML(a.URL(), b.URL()))
	in := start(t, cfg)
	const n = 1000
	if code, msg := post(t, in.url, encode(t, jobSeries(0, n)), nil); code != http.StatusNoContent {
		t.Fatalf("write: %d %s", code, msg)
	}
	want := n - n/5 // mode m4 dropped
	testenv.Eventually(t, 10*time.Second, "every kept series delivered", func() bool {
		return a.SampleCount()+b.SampleCount() == want
	})
	for name, r := range map[string]*testenv.Backend{"a": a, "b": b} {
		for key := range r.Samples() {
			node := strings.Contains(key, `job="node"`)
			switch {
			case strings.Contains(key, `mode="m4"`):
				t.Errorf("%s got %s, dropped by relabel_configs", name, key)
			case name == "a" && node, name == "b" && !node:
				t.Errorf("%s got %s against its write_relabel_configs", name, key)
			case name == "b" && strings.Contains(key, "instance="), name == "a" && !strings.Contains(key, "instance="):
				t.Errorf("%s got %s: instance dropped for b only", name, key)
			}
		}
	}
	if a.SampleCount() != want/2 || b.SampleCount() != want/2 {
		t.Errorf("a got %d, b %d, want %d each", a.SampleCount(), b.SampleCount(), want/2)
	}
	body := scrape(t, in)
	for _, line := range []string{
		fmt.Sprintf(`prws_relabel_dropped_series_total{backend="global",reason="rule"} %d`, n/5),
		fmt.Sprintf(`prws_relabel_dropped_series_total{backend="%s",reason="rule"} %d`, b.URL(), want/2),
	} {
		if !strings.Contains(body, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

// scrape returns in's /metrics text.
func scrape(t *testing.T, in *instance) string {
	t.Helper()
	resp, err := http.Get(in.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			return sb.String()
		}
	}
}

// TestRelabelReloadUnderLoad: rules are reloaded (and a bad rule
// refused with 400, the running rules kept) while a sender writes
// without pause; every acknowledged series is delivered but those a
// generation's rules drop on purpose.
func TestRelabelReloadUnderLoad(t *testing.T) {
	a, b := newRecorder(t), newRecorder(t)
	dir := t.TempDir()
	cfg := fastConfig(dir)
	routed := relabelYAML(a.URL(), b.URL())
	plain := "backends: [{url: '" + a.URL() + "'}, {url: '" + b.URL() + "'}]\n"
	bad := "backends: [{url: '" + a.URL() + "', write_relabel_configs: [{action: hashmod, target_label: x}]}, {url: '" + b.URL() + "'}]\n"
	cfg.ConfigFile = writeYAML(t, dir, plain)
	in := start(t, cfg)

	const batches, per = 60, 100
	acked := make(chan int, batches)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(acked)
		for i := range batches {
			if code, msg := post(t, in.url, encode(t, jobSeries(i*per, per)), nil); code != http.StatusNoContent {
				t.Errorf("batch %d: %d %s", i, code, msg)
				return
			}
			acked <- i
		}
	})
	for gen := 0; gen < 9; gen++ {
		<-acked // let some writes through between reloads
		text := []string{routed, bad, plain}[gen%3]
		writeYAML(t, dir, text)
		code, msg := reload(t, in, http.MethodPost)
		if text == bad {
			if code != http.StatusBadRequest || !strings.Contains(msg, "write_relabel_configs[0]") || !strings.Contains(msg, "non-zero modulus") {
				t.Fatalf("bad rule: %d %q, want 400 naming the rule and the reason", code, msg)
			}
			continue
		}
		if code != http.StatusOK {
			t.Fatalf("reload %d: %d %s", gen, code, msg)
		}
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// Every acknowledged series must arrive but those mode="m4" ones the
	// routed generations dropped on purpose.
	testenv.Eventually(t, 20*time.Second, "every acknowledged series delivered", func() bool {
		return missing(a, b, batches*per) < 0
	})
	if b.SampleCount() == 0 || a.SampleCount() == 0 {
		t.Fatalf("a got %d, b %d samples", a.SampleCount(), b.SampleCount())
	}
}

// missing returns the first series number below n that must have been
// delivered (its mode is not m4) and was not, or -1.
func missing(a, b *testenv.Backend, n int) int {
	seen := map[int]bool{}
	for _, r := range []*testenv.Backend{a, b} {
		for key := range r.Samples() {
			seen[seriesNumber(key)] = true
		}
	}
	for i := range n {
		if !seen[i] && !strings.Contains(testenv.SeriesKey(jobSeries(i, 1)[0].Labels), `mode="m4"`) {
			return i
		}
	}
	return -1
}

// TestSendCapAppliedByReload: a backend's backlog drains no faster than
// the max_samples_per_second a reload gave it (the token bucket's bound:
// the batches already in flight, one per shard, plus the burst, plus the
// cap times the elapsed time), nothing is lost, and the wait is exported.
func TestSendCapAppliedByReload(t *testing.T) {
	a := newRecorder(t)
	dir := t.TempDir()
	cfg := fastConfig(dir)
	cfg.Batch = 1000
	cfg.ConfigFile = writeYAML(t, dir, "backends: [{url: '"+a.URL()+"'}]\n")
	in := start(t, cfg)
	a.Fail(http.StatusServiceUnavailable)
	const total, capPerSec = 30000, 10000.0
	for i := 0; i < total; i += 1000 {
		writeN(t, in, i, 1000)
	}
	writeYAML(t, dir, "backends: [{url: '"+a.URL()+"', max_samples_per_second: 10000}]\n")
	if code, msg := reload(t, in, http.MethodPost); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, msg)
	}
	var qs []adminapi.QueueStatus
	getJSON(t, in.base+adminapi.PathQueues, &qs)
	for _, q := range qs {
		if q.SendLimit != capPerSec {
			t.Errorf("queue %d: send limit %v, want the reloaded cap", q.Shard, q.SendLimit)
		}
	}
	start := time.Now()
	a.Fail(0)
	testenv.Eventually(t, 30*time.Second, "backlog drained", func() bool { return a.SampleCount() == total })
	elapsed := time.Since(start).Seconds()
	t.Logf("%d samples drained in %.2f s under a cap of %.0f/s", total, elapsed, capPerSec)
	if inFlight := float64(cfg.Shards * cfg.Batch); total > inFlight+capPerSec+capPerSec*elapsed {
		t.Fatalf("%d samples in %.2f s: faster than the cap %.0f/s allows", total, elapsed, capPerSec)
	}
	if !strings.Contains(scrape(t, in), `prws_remote_rate_limited_seconds_total{backend="`+a.URL()+`"}`) {
		t.Error("prws_remote_rate_limited_seconds_total not exported for the backend")
	}
}
