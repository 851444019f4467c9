package ingest

import (
	"math"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

func TestExternalLabels(t *testing.T) {
	opts := Options{ExternalLabels: labels.FromStrings("cluster", "eu", "replica", "r1", "a_first", "x")}
	if err := opts.Validate(); err != nil {
		t.Fatal(err)
	}
	b := newBed(t, opts, 3, 2, 2)
	wr := &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{
		{Labels: lbls("__name__", "up", "job", "j"), Samples: []prompb.Sample{{Value: 1, Timestamp: 5}}},
		{Labels: lbls("job", "k", "cluster", "own", "__name__", "up"), Samples: []prompb.Sample{{Value: 2, Timestamp: 6}}},
		{Labels: lbls("__name__", "all", "a_first", "1", "cluster", "2", "replica", "3")}, // has them all: fast path
	}}
	w := b.post(compress(marshal(t, wr)))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	want := map[string][]prompb.Label{
		"j": lbls("__name__", "up", "a_first", "x", "cluster", "eu", "job", "j", "replica", "r1"),
		"k": lbls("__name__", "up", "a_first", "x", "cluster", "own", "job", "k", "replica", "r1"),
		"":  lbls("__name__", "all", "a_first", "1", "cluster", "2", "replica", "3"),
	}
	copies := map[string]int{}
	b.each(func(_, _ int, tg *recTarget) {
		for _, ts := range unmarshal(t, payload(tg.records(), queue.KindSeries)).Timeseries {
			key := labelValue(ts.Labels, "job")
			if !reflect.DeepEqual(ts.Labels, want[key]) {
				t.Fatalf("labels %v, want %v", ts.Labels, want[key])
			}
			copies[key]++
		}
	})
	if copies["j"] != 2 || copies["k"] != 2 || copies[""] != 2 {
		t.Fatalf("copies per series %v, want 2 each", copies)
	}
	// The ring hashes the series as stored: same place as if sent merged.
	b1, b2 := newBed(t, opts, 7, 1, 8), newBed(t, Options{}, 7, 1, 8)
	b1.post(compress(marshal(t, &prompb.WriteRequest{Timeseries: wr.Timeseries[:1]})))
	b2.post(compress(marshal(t, &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{Labels: want["j"]}}})))
	if where(b1) != where(b2) {
		t.Fatalf("merged series routed to %v, pre-merged to %v", where(b1), where(b2))
	}
}

func labelValue(ls []prompb.Label, name string) string {
	for _, l := range ls {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

func TestValidateExternalLabels(t *testing.T) {
	for _, ls := range []labels.Labels{
		labels.FromStrings("", "x"),
		labels.FromStrings("a", "\xff"),
	} {
		o := Options{ExternalLabels: ls}
		if err := o.Validate(); err == nil {
			t.Fatalf("%v accepted", ls)
		}
	}
}

func TestForceSelfTimestamp(t *testing.T) {
	now := time.UnixMilli(1800000000000)
	b := newBed(t, Options{ForceSelfTimestamp: true, Now: func() time.Time { return now }}, 1, 1, 1)
	wr := richRequest()
	w := b.post(compress(marshal(t, wr)))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	got := unmarshal(t, payload(b.targets[0][0].records(), queue.KindSeries)).Timeseries
	checkRich(t, got, wr.Timeseries, true)
	for _, ts := range got {
		for _, s := range ts.Samples {
			if s.Timestamp != now.UnixMilli() {
				t.Fatalf("sample timestamp %d", s.Timestamp)
			}
		}
		for _, h := range ts.Histograms {
			if h.Timestamp != now.UnixMilli() {
				t.Fatalf("histogram timestamp %d", h.Timestamp)
			}
		}
		for _, e := range ts.Exemplars {
			if e.Timestamp == now.UnixMilli() {
				t.Fatal("exemplar timestamp rewritten")
			}
		}
	}
}

func TestSlowPathKeepsStaleNaNBits(t *testing.T) {
	b := newBed(t, Options{ExternalLabels: labels.FromStrings("zz", "1")}, 1, 1, 1)
	wr := &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{Labels: lbls("__name__", "up"),
		Samples: []prompb.Sample{{Value: math.Float64frombits(staleNaN), Timestamp: 1}}}}}
	b.post(compress(marshal(t, wr)))
	got := unmarshal(t, payload(b.targets[0][0].records(), queue.KindSeries)).Timeseries
	if bits := math.Float64bits(got[0].Samples[0].Value); bits != staleNaN {
		t.Fatalf("stale marker bits %x", bits)
	}
}

func TestLimiterGetsFullLabelHash(t *testing.T) {
	lim := &countLimiter{even: true, hashes: make(chan uint64, 100)}
	b := newBed(t, Options{Limiter: lim, ExternalLabels: labels.FromStrings("ext", "1")}, 2, 1, 2)
	b.rt.Key = router.KeyMetric
	wr := nodeExporterRequest(40)
	w := b.post(compress(marshal(t, wr)))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	close(lim.hashes)
	h := newFakeHasher(router.KeySeries)
	admitted := 0
	for i := 0; i < len(wr.Timeseries); i++ {
		got := <-lim.hashes
		ls := append(slices.Clone(wr.Timeseries[i].Labels), prompb.Label{Name: "ext", Value: "1"})
		slices.SortFunc(ls, compareLabels)
		h.Reset()
		for _, l := range ls {
			h.Add([]byte(l.Name), []byte(l.Value))
		}
		if got != h.Sum64() {
			t.Fatalf("series %d: limiter got hash %x, want full label-set hash %x", i, got, h.Sum64())
		}
		if got%2 == 0 {
			admitted++
		}
	}
	n := 0
	b.each(func(_, _ int, tg *recTarget) {
		n += len(unmarshal(t, payload(tg.records(), queue.KindSeries)).Timeseries)
	})
	if n != admitted || admitted == 0 || admitted == 40 {
		t.Fatalf("%d series stored, %d admitted", n, admitted)
	}
	if value(t, b.m.seriesDrop)+value(t, b.m.seriesKeep) != 40 {
		t.Fatal("keep+drop != series")
	}
}

// TestSlowPathOnlyWhenNeeded: the gogo rewrite runs only for series that
// lack an external label or have samples to restamp.
func TestSlowPathOnlyWhenNeeded(t *testing.T) {
	body := marshal(t, &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{
		{Labels: lbls("__name__", "a", "zone", "z"), Samples: []prompb.Sample{{Value: 1}}},
		{Labels: lbls("zone", "z", "__name__", "b")}, // unsorted: wire reorder, not gogo
		{Labels: lbls("__name__", "c"), Samples: []prompb.Sample{{Value: 1}}},
	}})
	for _, tc := range []struct {
		opts Options
		slow int
	}{
		{Options{}, 0},
		{Options{ExternalLabels: labels.FromStrings("zone", "x")}, 1},
		{Options{ForceSelfTimestamp: true}, 2},
	} {
		o := tc.opts.withDefaults()
		d := &decoder{opts: &o, ext: externalLabels(o.ExternalLabels), routeH: newFakeHasher(router.KeySeries)}
		if err := d.decode(body); err != nil {
			t.Fatal(err)
		}
		if d.slowN != tc.slow || len(d.entries) != 3 {
			t.Fatalf("%+v: %d series took the slow path, want %d", tc.opts, d.slowN, tc.slow)
		}
	}
}
