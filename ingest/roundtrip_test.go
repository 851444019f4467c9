package ingest

import (
	"bytes"
	"math"
	"net/http"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/queue"
)

// countLimiter admits series whose hash is even when even is set, all
// otherwise, and records what it saw.
type countLimiter struct {
	even   bool
	calls  atomic.Int64
	hashes chan uint64 // if non-nil, receives every hash
}

func (l *countLimiter) Admit(h uint64, samples int) bool {
	l.calls.Add(1)
	if l.hashes != nil {
		l.hashes <- h
	}
	return !l.even || h%2 == 0
}

// placement is where copies of a raw series entry landed.
type placement struct{ backends, shards []int }

// collect gathers every series entry from every target, checking record
// invariants on the way: Samples matches the payload, kind is right, no
// record above max samples unless it holds a single series.
func collect(t *testing.T, b *testBed, max int) map[string]*placement {
	t.Helper()
	got := map[string]*placement{}
	b.each(func(be, sh int, tg *recTarget) {
		for _, r := range tg.records() {
			if r.Kind != queue.KindSeries {
				continue
			}
			es := entries(t, r.Payload, 1)
			wr := unmarshal(t, r.Payload)
			n := 0
			for _, ts := range wr.Timeseries {
				n += len(ts.Samples) + len(ts.Histograms)
			}
			if n != r.Samples {
				t.Fatalf("record says %d samples, payload has %d", r.Samples, n)
			}
			if r.Samples > max && len(es) > 1 {
				t.Fatalf("record of %d series has %d samples > %d", len(es), r.Samples, max)
			}
			for _, e := range es {
				p := got[string(e)]
				if p == nil {
					p = &placement{}
					got[string(e)] = p
				}
				p.backends, p.shards = append(p.backends, be), append(p.shards, sh)
			}
		}
	})
	return got
}

func TestRoundTrip(t *testing.T) {
	const backends, replicas, shards, batch = 4, 2, 4, 7
	wr := nodeExporterRequest(300)
	rich := richRequest()
	wr.Timeseries = append(wr.Timeseries, rich.Timeseries...)
	wr.Metadata = rich.Metadata
	body := marshal(t, wr)
	b := newBed(t, Options{BatchSamples: batch}, backends, replicas, shards)
	w := b.post(compress(body))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")

	got := collect(t, b, batch)
	sent := entries(t, body, 1)
	if len(got) != len(sent) {
		t.Fatalf("%d distinct series arrived, %d sent", len(got), len(sent))
	}
	for i, e := range sent {
		p := got[string(e)]
		if p == nil {
			t.Fatalf("series %d did not arrive byte for byte", i)
		}
		bs := slices.Clone(p.backends)
		slices.Sort(bs)
		if len(bs) != replicas || len(slices.Compact(bs)) != replicas {
			t.Fatalf("series %d landed on backends %v, want %d distinct", i, p.backends, replicas)
		}
		if p.shards[0] != p.shards[1] {
			t.Fatalf("series %d landed on shards %v", i, p.shards)
		}
	}
	checkMetadata(t, b, entries(t, body, 3))
}

// checkMetadata: every shard of every backend has every entry, in a
// record before its first series record.
func checkMetadata(t *testing.T, b *testBed, want [][]byte) {
	t.Helper()
	b.each(func(be, sh int, tg *recTarget) {
		recs := tg.records()
		got := payload(recs, queue.KindMetadata)
		if !bytes.Equal(got, bytes.Join(want, nil)) {
			t.Fatalf("backend %d shard %d metadata differs", be, sh)
		}
		if len(recs) > 0 && recs[0].Kind != queue.KindMetadata {
			t.Fatalf("backend %d shard %d: series before metadata", be, sh)
		}
		if len(unmarshal(t, got).Metadata) != len(want) {
			t.Fatalf("backend %d metadata count", be)
		}
	})
}

func TestPreservesHistogramsExemplarsAndStaleNaN(t *testing.T) {
	b := newBed(t, Options{}, 1, 1, 1)
	wr := richRequest()
	w := b.post(compress(marshal(t, wr)))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	got := unmarshal(t, payload(b.targets[0][0].records(), queue.KindSeries))
	checkRich(t, got.Timeseries, wr.Timeseries, false)
}

// checkRich compares series by value, NaNs bit for bit. When stamped,
// timestamps are not compared.
func checkRich(t *testing.T, got, want []prompb.TimeSeries, stamped bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d series, want %d", len(got), len(want))
	}
	byName := map[string]prompb.TimeSeries{}
	for _, ts := range got {
		byName[ts.Labels[0].Value] = ts
	}
	for _, w := range want {
		g := byName[w.Labels[0].Value]
		for i, s := range w.Samples {
			if math.Float64bits(g.Samples[i].Value) != math.Float64bits(s.Value) {
				t.Fatalf("%s sample %d: bits %x, want %x", w.Labels[0].Value, i, math.Float64bits(g.Samples[i].Value), math.Float64bits(s.Value))
			}
		}
		if len(g.Histograms) != len(w.Histograms) || len(g.Exemplars) != len(w.Exemplars) {
			t.Fatalf("%s: histograms/exemplars lost", w.Labels[0].Value)
		}
		for i := range w.Histograms {
			gh, wh := g.Histograms[i], w.Histograms[i]
			if stamped {
				gh.Timestamp = wh.Timestamp
			}
			gb, _ := gh.Marshal()
			wb, _ := wh.Marshal()
			if !bytes.Equal(gb, wb) {
				t.Fatalf("%s histogram %d differs", w.Labels[0].Value, i)
			}
		}
		if len(w.Exemplars) > 0 && !reflect.DeepEqual(g.Exemplars, w.Exemplars) {
			t.Fatalf("exemplar differs: %v", g.Exemplars[0])
		}
	}
}

func TestUnsortedLabelsAreSorted(t *testing.T) {
	b := newBed(t, Options{}, 1, 1, 1)
	// labels interleaved with a sample, an exemplar and an unknown field.
	body := series(lab("job", "x"), sample(), lab("__name__", "up"),
		raw(nil).tag(99, wtVarint).varint(7), lab("instance", "i"))
	w := b.post(compress(body))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	p := payload(b.targets[0][0].records(), queue.KindSeries)
	if len(p) != len(body) {
		t.Fatalf("re-emitted series is %d bytes, want %d", len(p), len(body))
	}
	got := unmarshal(t, p).Timeseries
	want := lbls("__name__", "up", "instance", "i", "job", "x")
	if len(got) != 1 || !reflect.DeepEqual(got[0].Labels, want) {
		t.Fatalf("labels %v, want %v", got[0].Labels, want)
	}
	if len(got[0].Samples) != 1 || got[0].Samples[0].Timestamp != 1 {
		t.Fatalf("samples %v", got[0].Samples)
	}
	if !bytes.Contains(p, raw(nil).tag(99, wtVarint).varint(7)) {
		t.Fatal("unknown field lost")
	}
	// And it hashes as if it had been sent sorted.
	sorted := series(lab("__name__", "up"), lab("instance", "i"), lab("job", "x"), sample())
	b2 := newBed(t, Options{}, 5, 1, 8)
	b3 := newBed(t, Options{}, 5, 1, 8)
	b2.post(compress(body))
	b3.post(compress(sorted))
	if where(b2) != where(b3) {
		t.Fatalf("unsorted series routed to %v, sorted to %v", where(b2), where(b3))
	}
}

// where returns the (backend, shard) of the only target that got records.
func where(b *testBed) [2]int {
	at := [2]int{-1, -1}
	b.each(func(be, sh int, tg *recTarget) {
		if len(tg.records()) > 0 {
			at = [2]int{be, sh}
		}
	})
	return at
}

func TestRecordsSplitAtBatchSamples(t *testing.T) {
	b := newBed(t, Options{BatchSamples: 10}, 1, 1, 1)
	wr := &prompb.WriteRequest{}
	for i, n := range []int{4, 4, 4, 25, 1, 10, 3} {
		ts := prompb.TimeSeries{Labels: lbls("__name__", "s", "i", string(rune('a'+i)))}
		for j := 0; j < n; j++ {
			ts.Samples = append(ts.Samples, prompb.Sample{Value: float64(j), Timestamp: int64(j)})
		}
		wr.Timeseries = append(wr.Timeseries, ts)
	}
	w := b.post(compress(marshal(t, wr)))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	var got []int
	for _, r := range b.targets[0][0].records() {
		got = append(got, r.Samples)
	}
	if want := []int{8, 4, 25, 1, 10, 3}; !slices.Equal(got, want) {
		t.Fatalf("record samples %v, want %v", got, want)
	}
	collect(t, b, 10)
}

func TestEmptyRequest(t *testing.T) {
	b := newBed(t, Options{}, 2, 1, 2)
	w := b.post(compress(nil))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	expectUntouched(t, b)
	// Unknown top-level fields only: still empty.
	w = b.post(compress(raw(nil).tag(2, wtVarint).varint(1)))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	expectUntouched(t, b)
}

func TestTenant(t *testing.T) {
	b := newBed(t, Options{TenantHeader: "X-Scope-OrgID"}, 1, 1, 1)
	w := b.post(compress(marshal(t, richRequest())), "X-Scope-OrgID", "team-a_(1)")
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	for _, r := range b.targets[0][0].records() {
		if r.Tenant != "team-a_(1)" {
			t.Fatalf("record tenant %q", r.Tenant)
		}
	}
}
