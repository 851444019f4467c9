package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/internal/testenv"
)

// postSeries sends req to prws and fails unless it answers 204.
func postSeries(t *testing.T, p *proc, req *prompb.WriteRequest) {
	t.Helper()
	raw, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	hr, _ := http.NewRequest(http.MethodPost, p.url, bytes.NewReader(snappy.Encode(nil, raw)))
	hr.Header.Set("Content-Encoding", "snappy")
	hr.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("prws answered %d %s", resp.StatusCode, msg)
	}
}

// deadLetters reads every dead letter under the data dir.
func deadLetters(t *testing.T, dir string) []deadletter.Entry {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(dir, "deadletter", "*"))
	var out []deadletter.Entry
	for _, d := range dirs {
		l, err := deadletter.Open(d)
		if err != nil {
			t.Fatal(err)
		}
		metas, err := l.List()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range metas {
			e, err := l.Read(m.Name)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
	}
	return out
}

// promCount returns the value of a scalar-valued instant query.
func promCount(t *testing.T, base, query string) int {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?" + url.Values{"query": {query}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Data.Result) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(fmt.Sprint(out.Data.Result[0].Value[1]))
	return n
}

// TestOutOfOrderSampleCostsOnlyItself: a real Prometheus (no out-of-order
// window) behind --shard 1. Series x is written at t0; then one sender's
// 50 valid series and another's sample of x at t0-60s arrive within
// --batch-linger and travel in one batch, which Prometheus refuses whole
// (400, out of order). prws splits it: the 50 series are queryable and
// exactly one sample is dead-lettered.
func TestOutOfOrderSampleCostsOnlyItself(t *testing.T) {
	r := &row{Scenario: "one out-of-order sample in a batch of 51 series", Injected: "Prometheus 400 for the whole batch"}
	report(t, r)
	prom := startPrometheus(t)
	dir, listen := t.TempDir(), testenv.FreeAddr(t)
	p := startProc(t, listen, "--data-dir", dir, "--promes", prom+"/api/v1/write", "--shard", "1",
		"--batch-linger", "2s", "--remote_write_min_wait", "20ms")
	t0 := time.Now().UnixMilli()
	x := func(ts int64) prompb.TimeSeries {
		return prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "ooo_x"}},
			Samples: []prompb.Sample{{Value: 1, Timestamp: ts}}}
	}
	postSeries(t, p, &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{x(t0)}})
	eventually(t, 30*time.Second, "x to reach Prometheus", func() bool { return promCount(t, prom, "count(ooo_x)") == 1 })

	valid := &prompb.WriteRequest{}
	for i := range 50 {
		valid.Timeseries = append(valid.Timeseries, prompb.TimeSeries{
			Labels:  []prompb.Label{{Name: "__name__", Value: "ooo_valid"}, {Name: "i", Value: strconv.Itoa(i)}},
			Samples: []prompb.Sample{{Value: float64(i), Timestamp: t0}}})
	}
	postSeries(t, p, valid)
	postSeries(t, p, &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{x(t0 - 60_000)}})
	r.Acked = 51
	eventually(t, 30*time.Second, "the queue to drain", func() bool { return pending(t, p) == 0 })

	r.Delivered = int64(promCount(t, prom, "count(ooo_valid)"))
	dead := p.metric(t, "prws_remote_dead_letter_samples_total")
	splits := p.metric(t, "prws_remote_batch_splits_total")
	requests := p.metric(t, "prws_remote_requests_total")
	r.Note = fmt.Sprintf("%v splits, %v requests in all, %v sample dead-lettered", splits, requests, dead)
	if r.Delivered != 50 || dead != 1 || splits < 1 {
		t.Fatalf("%d of 50 valid series queryable, %v samples dead-lettered, %v splits", r.Delivered, dead, splits)
	}
	dls := deadLetters(t, dir)
	if len(dls) != 1 || dls[0].Samples != 1 || dls[0].Status != 400 {
		t.Fatalf("dead letters %+v", dls)
	}
	var wr prompb.WriteRequest
	if err := wr.Unmarshal(dls[0].Body); err != nil || len(wr.Timeseries) != 1 || wr.Timeseries[0].Samples[0].Timestamp != t0-60_000 {
		t.Fatalf("dead letter holds %+v (%v), want x at t0-60s", wr.Timeseries, err)
	}
	t.Logf("dead letter message: %s", dls[0].Message)
}

// refuser is a recording backend that refuses, with 400, every request
// holding a series labelled bad="1", accepts the rest (empty requests
// included) and records every accepted sample by series and timestamp.
// On the killAt-th request that it accepts after a refusal (a part of a
// split batch) it records the samples, kills victim and drops the
// connection: prws dies with that part committed but unacknowledged.
type refuser struct {
	killAt   int64
	victim   atomic.Pointer[proc]
	n        atomic.Int64
	split    atomic.Bool // a request was refused
	mu       sync.Mutex  // guards every field below
	got      map[string]int
	killPart []string // samples of the part in flight at the kill
}

func (rf *refuser) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	raw, _ := snappy.Decode(nil, body)
	var wr prompb.WriteRequest
	if err := wr.Unmarshal(raw); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var keys []string
	for _, ts := range wr.Timeseries {
		name := ""
		for _, l := range ts.Labels {
			if l.Name == "bad" && l.Value == "1" {
				rf.split.Store(true)
				http.Error(w, "bad series", http.StatusBadRequest)
				return
			}
			if l.Name == "s" {
				name = l.Value
			}
		}
		for _, s := range ts.Samples {
			keys = append(keys, fmt.Sprintf("%s@%d", name, s.Timestamp))
		}
	}
	rf.mu.Lock()
	for _, k := range keys {
		rf.got[k]++
	}
	kill := len(keys) > 0 && rf.split.Load() && rf.n.Add(1) == rf.killAt
	if kill {
		rf.killPart = keys
	}
	rf.mu.Unlock()
	if kill {
		rf.victim.Load().Kill()
		if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
			c.Close()
		}
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// TestKillInTheMiddleOfASplit: prws is killed (-9) while it splits a
// refused batch, right after the backend committed a part. After the
// restart that part is resent (the cursor holds the split), the split
// goes on where it was, every valid sample is delivered, only the part in
// flight twice, and each bad series is dead-lettered.
func TestKillInTheMiddleOfASplit(t *testing.T) {
	r := &row{Scenario: "kill -9 in the middle of a split", Injected: "kill -9 after a part's 2xx"}
	report(t, r)
	rf := &refuser{killAt: 4, got: map[string]int{}}
	be := httptest.NewServer(rf)
	t.Cleanup(be.Close)
	dir, listen := t.TempDir(), testenv.FreeAddr(t)
	args := []string{"--data-dir", dir, "--promes", be.URL + "/api/v1/write", "--shard", "1", "--batch", "1000",
		"--batch-linger", "1s", "--remote_write_min_wait", "20ms"}
	p := startProc(t, listen, args...)
	rf.victim.Store(p)
	req := &prompb.WriteRequest{}
	bad := map[string]bool{}
	var want []string
	for i := range 64 {
		ts := prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "split_m"}, {Name: "s", Value: strconv.Itoa(i)}}}
		if i == 9 || i == 40 {
			ts.Labels = append(ts.Labels, prompb.Label{Name: "bad", Value: "1"})
			bad[strconv.Itoa(i)] = true
		}
		for k := range 2 {
			ts.Samples = append(ts.Samples, prompb.Sample{Value: 1, Timestamp: int64(1000*i + k)})
			if !bad[strconv.Itoa(i)] {
				want = append(want, fmt.Sprintf("%d@%d", i, 1000*i+k))
			}
		}
		req.Timeseries = append(req.Timeseries, ts)
	}
	postSeries(t, p, req)
	r.Acked = 128
	<-p.Done()
	p = startProc(t, listen, args...)
	eventually(t, 30*time.Second, "the queue to drain", func() bool { return pending(t, p) == 0 })
	if !strings.Contains(p.Log.String(), "resuming the split of a refused batch") {
		t.Errorf("the restarted prws did not resume the split:\n%s", p.Log.String())
	}

	rf.mu.Lock()
	defer rf.mu.Unlock()
	inFlight := map[string]bool{}
	for _, k := range rf.killPart {
		inFlight[k] = true
	}
	for _, k := range want {
		switch n := rf.got[k]; {
		case n == 0:
			r.Lost++
			t.Errorf("sample %s lost", k)
		case n > 1 && !inFlight[k]:
			t.Errorf("sample %s delivered %d times, not in the part in flight at the kill", k, n)
		}
		r.Delivered++
		r.Dup += int64(max(rf.got[k]-1, 0))
	}
	deadSeries := map[string]int{}
	for _, e := range deadLetters(t, dir) {
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(e.Body); err != nil {
			t.Fatal(err)
		}
		for _, ts := range wr.Timeseries {
			for _, l := range ts.Labels {
				if l.Name == "s" {
					deadSeries[l.Value] += len(ts.Samples)
				}
			}
		}
	}
	for s := range bad {
		if deadSeries[s] < 2 {
			t.Errorf("bad series %s: %d samples dead-lettered, want 2", s, deadSeries[s])
		}
	}
	r.Note = fmt.Sprintf("part in flight at the kill: %d samples, resent; dead-lettered %v", len(rf.killPart), deadSeries)
}
