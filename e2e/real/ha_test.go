//go:build linux

package real

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

// The HA setup of docs/ha.md, tried: two prws instances with the same ring
// flags (own data dirs) behind a round-robin load balancer, three
// Prometheus backends with replica factor 2, and a query Prometheus that
// remote-reads every backend.
const (
	haBackends = 3
	haRF       = 2
	haSeries   = 40                    // series in every request
	haStep     = 10 * time.Millisecond // timestamp step between requests
)

// haBackendConfig is the prometheus.yml of each backend. Two prws instances
// deliver the samples of one series over two paths with their own queue
// delays, so a backend receives them out of order: without an out-of-order
// window Prometheus refuses those with 400 (dead letters in prws).
func haBackendConfig() string {
	return `# prometheus.yml of each backend (run with --web.enable-remote-write-receiver)
storage:
  tsdb:
    out_of_order_time_window: 30m
`
}

// haQueryConfig is the prometheus.yml of the query Prometheus: no scrape
// jobs, one remote_read entry per backend (host:port each).
func haQueryConfig(backends []string) string {
	var b strings.Builder
	b.WriteString("# prometheus.yml of the query Prometheus\nremote_read:\n")
	for _, a := range backends {
		fmt.Fprintf(&b, "  - url: http://%s/api/v1/read\n    read_recent: true\n", a)
	}
	return b.String()
}

// TestHADocConfigs checks that docs/ha.md shows the configuration files
// exactly as TestHA writes them (with example host names for the
// loopback addresses).
func TestHADocConfigs(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "ha.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []string{
		haBackendConfig(),
		haQueryConfig([]string{"backend-1:9090", "backend-2:9090", "backend-3:9090"}),
	} {
		if !bytes.Contains(doc, []byte("```yaml\n"+cfg+"```\n")) {
			t.Errorf("docs/ha.md lacks this configuration as a yaml block:\n%s", cfg)
		}
	}
}

// TestHA runs a sender → load balancer → prws A / prws B → three
// Prometheus backends pipeline, SIGKILLs prws A in the middle and brings it
// back on its data dir, then proves that
//
//   - every series is on exactly the replica_factor backends `prws ring`
//     names, although each series reached both instances;
//   - every backend of a series holds every sample the sender had
//     acknowledged, with its value (nothing acknowledged was lost);
//   - a query Prometheus with remote_read to all backends returns each
//     series once with every acknowledged sample (the union, replicas
//     merged).
func TestHA(t *testing.T) {
	promBin := needBinaries(t, "prometheus")[0]
	h := startHA(t, promBin, prwsBinary(t))

	snd := newHASender(h.lbURL + "/api/v1/write")
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() { defer close(stopped); snd.run(done) }()
	stopSender := sync.OnceFunc(func() { close(done); <-stopped })
	t.Cleanup(stopSender)

	// Both instances take a share of the requests.
	mustWait(t, 15*time.Second, "both prws instances acknowledging", func() (bool, string) {
		a, b := h.lb.acked(0), h.lb.acked(1)
		return a >= 30 && b >= 30, fmt.Sprintf("acknowledged by A %d, by B %d", a, b)
	})

	// prws A dies without warning; the load balancer retries on B.
	h.prws[0].p.kill()
	beforeB := h.lb.acked(1)
	killedAt := time.Now()
	t.Logf("prws A killed (SIGKILL) after %d requests acknowledged through it", h.lb.acked(0))
	if qs, err := h.queues(0); err != nil {
		t.Errorf("prws queues on A's data dir: %v", err)
	} else {
		t.Logf("A's data dir right after the kill: %d samples pending", pendingOf(qs))
	}
	mustWait(t, 15*time.Second, "prws B taking all requests", func() (bool, string) {
		n := h.lb.acked(1) - beforeB
		return n >= 100 && time.Since(killedAt) > 2*time.Second, fmt.Sprintf("%d acknowledged by B since", n)
	})
	aDown := h.lb.acked(0)
	h.prws[0].restart(t)
	t.Logf("prws A restarted on its data dir; B took %d requests meanwhile, %d retried on the other instance",
		h.lb.acked(1)-beforeB, h.lb.failovers.Load())
	mustWait(t, 15*time.Second, "prws A acknowledging again", func() (bool, string) {
		n := h.lb.acked(0) - aDown
		return n >= 30, fmt.Sprintf("%d acknowledged by A since its restart", n)
	})
	stopSender()

	acked, lost := snd.result()
	if len(lost) > 0 {
		t.Fatalf("%d requests were never acknowledged, e.g. %v", len(lost), lost[:min(len(lost), 10)])
	}
	if h.lb.failovers.Load() == 0 {
		t.Errorf("the load balancer never retried on the other instance: the kill went unnoticed")
	}
	t.Logf("%d requests of %d series acknowledged (A %d, B %d)", len(acked), haSeries, h.lb.acked(0), h.lb.acked(1))

	for i := range h.prws {
		mustWait(t, 30*time.Second, "prws "+h.prws[i].name+" to deliver everything", func() (bool, string) {
			qs, err := h.queues(i)
			if err != nil {
				return false, err.Error()
			}
			n := pendingOf(qs)
			return n == 0, fmt.Sprint(n, " samples pending")
		})
		qs, _ := h.queues(i)
		for _, q := range qs {
			if q.DeadLetters != 0 {
				t.Errorf("%s: %s shard %d: %d dead letters (last error %q)", h.prws[i].name, q.Backend, q.Shard, q.DeadLetters, q.LastError)
			}
		}
	}

	end := snd.tsOf(snd.sent()).Add(time.Second)
	window := end.Sub(snd.tsOf(0)) + time.Second
	mustWait(t, 20*time.Second, "every series on its ring backends with every acknowledged sample", func() (bool, string) {
		return h.checkBackends(snd, acked, end, window)
	})
	t.Logf("every backend holds its series with all %d acknowledged samples each", len(acked))
	mustWait(t, 20*time.Second, "the query Prometheus to return the union", func() (bool, string) {
		return h.checkQuery(snd, acked, end, window)
	})
	t.Logf("the query Prometheus returns all %d series, each once, with every acknowledged sample", haSeries)

	// With replica factor 2, every series is on another backend too: the
	// query side still has the union with one backend down.
	down := h.st.backends[0]
	down.stop(t, 30*time.Second)
	mustWait(t, 20*time.Second, "the union with "+down.name+" down", func() (bool, string) {
		return h.checkQuery(snd, acked, end, window)
	})
	w, err := queryWarnings(h.query.base(), `count(ha_metric)`, end)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) == 0 {
		t.Errorf("with %s down the query Prometheus answered without a warning", down.name)
	}
	t.Logf("with %s down the query Prometheus still returns every sample; warnings: %q", down.name, w)
}

// queryWarnings evaluates expr at at on base and returns the warnings of
// the answer.
func queryWarnings(base, expr string, at time.Time) ([]string, error) {
	q := url.Values{"query": {expr}, "time": {apiTime(at)}}
	resp, err := httpc.Get(base + "/api/v1/query?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status   string   `json:"status"`
		Warnings []string `json:"warnings"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: %s", expr, resp.Status)
	}
	return r.Warnings, nil
}

// haStack is the HA pipeline. st holds the backends and the ring flags
// (for `prws ring`); its own prws and agent are not used.
type haStack struct {
	st    *stack
	prws  []*server // A, B: same ring flags, own data dirs
	query *server   // Prometheus with remote_read to every backend
	lb    *roundRobin
	lbURL string
}

func startHA(t *testing.T, promBin, prwsBin string) *haStack {
	t.Helper()
	st := &stack{rf: haRF, dir: t.TempDir(), prwsBin: prwsBin, started: time.Now()}
	h := &haStack{st: st}
	t.Cleanup(func() {
		if t.Failed() {
			h.dumpDiagnostics(t)
		}
	})
	for i := range haBackends {
		name := fmt.Sprintf("backend-%d", i+1)
		dir := st.subdir(name)
		s := newServer(name, promBin, "/-/ready", st.dir, func(addr string) ([]string, error) {
			cfg := filepath.Join(dir, "prometheus.yml")
			if err := os.WriteFile(cfg, []byte(haBackendConfig()), 0o644); err != nil {
				return nil, err
			}
			return []string{"--config.file=" + cfg, "--storage.tsdb.path=" + filepath.Join(dir, "tsdb"),
				"--web.listen-address=" + addr, "--web.enable-remote-write-receiver"}, nil
		})
		s.start(t)
		st.backends = append(st.backends, s)
		st.proms = append(st.proms, s)
	}
	qdir := st.subdir("query")
	h.query = newServer("query", promBin, "/-/ready", st.dir, func(addr string) ([]string, error) {
		var addrs []string
		for _, b := range st.backends {
			addrs = append(addrs, b.addr)
		}
		cfg := filepath.Join(qdir, "prometheus.yml")
		if err := os.WriteFile(cfg, []byte(haQueryConfig(addrs)), 0o644); err != nil {
			return nil, err
		}
		return []string{"--config.file=" + cfg, "--storage.tsdb.path=" + filepath.Join(qdir, "tsdb"),
			"--web.listen-address=" + addr}, nil
	})
	h.query.start(t)
	var ups []string
	for _, name := range []string{"A", "B"} {
		data := st.subdir("prws-" + name)
		s := newServer("prws-"+name, prwsBin, "/-/ready", st.dir, func(addr string) ([]string, error) {
			return append(st.ringFlags(), "--listen", addr, "--data-dir", data,
				"--remote_write_min_wait", "50ms", "--remote_write_max_wait", "1s"), nil
		})
		s.start(t)
		h.prws = append(h.prws, s)
		ups = append(ups, s.base())
	}
	h.lb = newRoundRobin(ups)
	srv := httptest.NewServer(h.lb) // 127.0.0.1
	t.Cleanup(srv.Close)
	h.lbURL = srv.URL
	return h
}

// queues runs `prws queues --json` on instance i's data dir (it asks the
// daemon, or reads the data dir when none runs).
func (h *haStack) queues(i int) ([]queueStatus, error) {
	out, err := h.st.runPrws(nil, "queues", "--data-dir", h.st.subdir(h.prws[i].name), "--json")
	if err != nil {
		return nil, err
	}
	return flattenQueues(out)
}

func pendingOf(qs []queueStatus) uint64 {
	var n uint64
	for _, q := range qs {
		n += q.PendingSamples
	}
	return n
}

// checkBackends is the placement and no-loss proof on the backends, once:
// every series is listed by exactly the backends `prws ring` names, and
// each of them holds every acknowledged sample with its value.
func (h *haStack) checkBackends(snd *haSender, acked []int64, end time.Time, window time.Duration) (bool, string) {
	on := map[string][]int{} // series key → backends holding it
	var bad []string
	for i, b := range h.st.backends {
		got, err := rawValues(b.base(), `ha_metric`, end, window)
		if err != nil {
			return false, err.Error()
		}
		for k, vals := range got {
			on[k] = append(on[k], i)
			if why := snd.check(vals, acked); why != "" {
				bad = append(bad, fmt.Sprintf("%s on %s: %s", k, b.name, why))
			}
		}
	}
	if len(on) != haSeries {
		return false, fmt.Sprintf("%d series on the backends, want %d", len(on), haSeries)
	}
	keys := make([]string, 0, len(on))
	for k := range on {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	routes, err := h.st.ring(keys)
	if err != nil {
		return false, err.Error()
	}
	for _, k := range keys {
		want := slices.Sorted(slices.Values(routes[k]))
		if len(want) != haRF || !slices.Equal(on[k], want) {
			bad = append(bad, fmt.Sprintf("%s is on %s, ring says %s", k, h.st.names(on[k]), h.st.names(want)))
		}
	}
	if len(bad) > 0 {
		return false, fmt.Sprintf("%d problems, e.g.\n  %s", len(bad), strings.Join(bad[:min(len(bad), 10)], "\n  "))
	}
	return true, ""
}

// checkQuery is the query-side proof, once: the query Prometheus returns
// every series once (count) and every acknowledged sample of each.
func (h *haStack) checkQuery(snd *haSender, acked []int64, end time.Time, window time.Duration) (bool, string) {
	base := h.query.base()
	got, err := rawValues(base, `ha_metric`, end, window)
	if err != nil {
		return false, err.Error()
	}
	if len(got) != haSeries {
		return false, fmt.Sprintf("%d series through remote read, want %d", len(got), haSeries)
	}
	for k, vals := range got {
		if why := snd.check(vals, acked); why != "" {
			return false, k + ": " + why
		}
	}
	q := url.Values{"query": {`count(ha_metric)`}, "time": {apiTime(end)}}
	var v struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	}
	if err := apiGet(base, "/api/v1/query", q, &v); err != nil {
		return false, err.Error()
	}
	if len(v.Result) != 1 || v.Result[0].Value[1] != strconv.Itoa(haSeries) {
		return false, fmt.Sprintf("count(ha_metric) = %v, want %d", v.Result, haSeries)
	}
	return true, ""
}

// rawValues returns the raw samples (timestamp in ms → value) of selector
// in the window before at, per series key.
func rawValues(base, selector string, at time.Time, window time.Duration) (map[string]map[int64]float64, error) {
	q := url.Values{"query": {fmt.Sprintf("%s[%dms]", selector, window.Milliseconds())}, "time": {apiTime(at)}}
	var m struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		} `json:"result"`
	}
	if err := apiGet(base, "/api/v1/query", q, &m); err != nil {
		return nil, err
	}
	if m.ResultType != "matrix" {
		return nil, fmt.Errorf("%s: result type %q, want matrix", base, m.ResultType)
	}
	out := make(map[string]map[int64]float64, len(m.Result))
	for _, r := range m.Result {
		k := seriesKey(r.Metric)
		if out[k] != nil {
			return nil, fmt.Errorf("%s: series %s returned twice", base, k)
		}
		vals := make(map[int64]float64, len(r.Values))
		for _, v := range r.Values {
			sec, _ := v[0].(float64)
			s, _ := v[1].(string)
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: value %q", base, k, s)
			}
			vals[int64(math.Round(sec*1000))] = f
		}
		out[k] = vals
	}
	return out, nil
}

// haSender writes request k (every series, one sample at tsOf(k) with
// value k) to the load balancer, retrying it until acknowledged, one
// request after the other, every haStep.
type haSender struct {
	url    string
	base   time.Time
	client *http.Client

	mu    sync.Mutex // guards the fields below
	next  int64      // requests begun
	acked []int64
	lost  []int64 // given up on
}

func newHASender(url string) *haSender {
	return &haSender{url: url, base: time.Now().Truncate(time.Second), client: &http.Client{Timeout: 10 * time.Second}}
}

func (s *haSender) tsOf(k int64) time.Time { return s.base.Add(time.Duration(k) * haStep) }

// sent is the number of requests begun.
func (s *haSender) sent() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next
}

func (s *haSender) body(k int64) []byte {
	wr := prompb.WriteRequest{Timeseries: make([]prompb.TimeSeries, haSeries)}
	for i := range wr.Timeseries {
		wr.Timeseries[i] = prompb.TimeSeries{
			Labels: []prompb.Label{{Name: "__name__", Value: "ha_metric"}, {Name: "job", Value: "ha"},
				{Name: "s", Value: strconv.Itoa(i)}},
			Samples: []prompb.Sample{{Value: float64(k), Timestamp: s.tsOf(k).UnixMilli()}},
		}
	}
	raw, err := wr.Marshal()
	if err != nil {
		panic(err)
	}
	return snappy.Encode(nil, raw)
}

// run sends until done is closed; the request in flight then still gets
// its retries (20 s at most).
func (s *haSender) run(done <-chan struct{}) {
	tick := time.NewTicker(haStep)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		s.mu.Lock()
		k := s.next
		s.next++
		s.mu.Unlock()
		ok := s.send(k)
		s.mu.Lock()
		if ok {
			s.acked = append(s.acked, k)
		} else {
			s.lost = append(s.lost, k)
		}
		s.mu.Unlock()
	}
}

// send posts request k until it is acknowledged (2xx) or 20 s passed.
func (s *haSender) send(k int64) bool {
	body := s.body(k)
	deadline := time.Now().Add(20 * time.Second)
	backoff := 20 * time.Millisecond
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodPost, s.url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("Content-Encoding", "snappy")
		req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
		resp, err := s.client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return true
			}
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, 500*time.Millisecond)
	}
	return false
}

func (s *haSender) result() (acked, lost []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.acked), slices.Clone(s.lost)
}

// check compares one series' samples with what was sent: every
// acknowledged request's sample is there with its value, and nothing else
// is (a request sent but not acknowledged may have arrived too).
func (s *haSender) check(vals map[int64]float64, acked []int64) string {
	var missing []int64
	for _, k := range acked {
		if v, ok := vals[s.tsOf(k).UnixMilli()]; !ok || v != float64(k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("%d of %d acknowledged samples missing or wrong, e.g. requests %v",
			len(missing), len(acked), missing[:min(len(missing), 10)])
	}
	n := s.sent()
	for ts, v := range vals {
		k := int64(v)
		if float64(k) != v || k < 0 || k >= n || s.tsOf(k).UnixMilli() != ts {
			return fmt.Sprintf("unexpected sample %v at %d", v, ts)
		}
	}
	return ""
}

// roundRobin is the load balancer in front of the prws instances: each
// request goes to the next instance in turn; on a transport error or a 5xx
// it is retried, body and all, on the other instance(s).
type roundRobin struct {
	ups       []string
	client    *http.Client
	next      atomic.Uint64
	failovers atomic.Int64
	ackedBy   []atomic.Int64 // 2xx answers per instance
}

func newRoundRobin(ups []string) *roundRobin {
	return &roundRobin{ups: ups, client: &http.Client{Timeout: 10 * time.Second},
		ackedBy: make([]atomic.Int64, len(ups))}
}

func (lb *roundRobin) acked(i int) int64 { return lb.ackedBy[i].Load() }

func (lb *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	first := lb.next.Add(1)
	code, msg := http.StatusBadGateway, "no instance"
	for i := range len(lb.ups) {
		if i > 0 {
			lb.failovers.Add(1)
		}
		u := int((first + uint64(i)) % uint64(len(lb.ups)))
		req, err := http.NewRequestWithContext(r.Context(), r.Method, lb.ups[u]+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for _, hd := range []string{"Content-Type", "Content-Encoding", "X-Prometheus-Remote-Write-Version", "User-Agent"} {
			if v := r.Header.Get(hd); v != "" {
				req.Header.Set(hd, v)
			}
		}
		resp, err := lb.client.Do(req)
		if err != nil {
			code, msg = http.StatusBadGateway, err.Error()
			continue
		}
		rb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			code, msg = resp.StatusCode, string(rb)
			continue
		}
		if resp.StatusCode/100 == 2 {
			lb.ackedBy[u].Add(1)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(rb)
		return
	}
	http.Error(w, msg, code)
}

// dumpDiagnostics logs every server's last lines and both queue views.
func (h *haStack) dumpDiagnostics(t *testing.T) {
	for _, s := range append(append([]*server{h.query}, h.prws...), h.st.backends...) {
		if s != nil {
			t.Logf("---- %s (%s), last log lines:\n%s", s.name, s.addr, tail(s.logPath, 25))
		}
	}
	for i := range h.prws {
		qs, err := h.queues(i)
		t.Logf("---- %s queues (err %v): %+v", h.prws[i].name, err, qs)
	}
}
