package ingest

import (
	"net/http"
	"slices"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/router"
)

// realBed is a testBed over a real router.Ring and router.Hasher.
func realBed(t testing.TB, opts Options, key router.Key, backends, replicas, shards int) (*testBed, *router.Ring) {
	t.Helper()
	var ids []string
	for i := 0; i < backends; i++ {
		id, err := router.BackendID("http://tsdb-" + string(rune('a'+i)) + ":9090/api/v1/write")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	ring, err := router.New(ids, replicas, shards)
	if err != nil {
		t.Fatal(err)
	}
	b := newBed(t, opts, backends, replicas, shards)
	b.rt.Ring, b.rt.Key, b.rt.NewHasher = ring, key, nil
	return b, ring
}

func TestRealRouterPlacement(t *testing.T) {
	b, ring := realBed(t, Options{}, router.KeySeries, 5, 2, 4)
	wr := nodeExporterRequest(500)
	body := marshal(t, wr)
	w := b.post(compress(body))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	got := collect(t, b, DefaultBatchSamples)
	h := router.NewHasher(router.KeySeries)
	for i, e := range entries(t, body, 1) {
		h.Reset()
		for _, l := range wr.Timeseries[i].Labels {
			h.AddString(l.Name, l.Value)
		}
		want := ring.Lookup(h.Sum64(), nil, nil)
		p := got[string(e)]
		if p == nil || !slices.Equal(slices.Sorted(slices.Values(p.backends)), slices.Sorted(slices.Values(want))) {
			t.Fatalf("series %d on %v, ring says %v", i, p, want)
		}
		if p.shards[0] != ring.Shard(h.Sum64()) {
			t.Fatalf("series %d on shard %d, ring says %d", i, p.shards[0], ring.Shard(h.Sum64()))
		}
	}
}

func TestRealRouterMetricKey(t *testing.T) {
	b, _ := realBed(t, Options{}, router.KeyMetric, 6, 1, 8)
	wr := nodeExporterRequest(200)
	wr.Timeseries = append(wr.Timeseries, prompb.TimeSeries{Labels: lbls("__name__", "other", "a", "b")})
	w := b.post(compress(marshal(t, wr)))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	touched := 0
	b.each(func(_, _ int, tg *recTarget) {
		if len(tg.records()) > 0 {
			touched++
		}
	})
	if touched > 2 { // one metric name for 200 series, one for the other
		t.Fatalf("metric key spread two metric names over %d targets", touched)
	}
}

// downHealth marks one backend down.
type downHealth int

func (d downHealth) Up(b int) bool { return b != int(d) }

// TestReroutedCounted: with a backend down, the series the ring moves off
// it are counted in prws_series_rerouted_total, and none lands on it.
func TestReroutedCounted(t *testing.T) {
	b, ring := realBed(t, Options{}, router.KeySeries, 3, 1, 2)
	b.rt.Health = downHealth(0)
	wr := nodeExporterRequest(300)
	w := b.post(compress(marshal(t, wr)))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	want := 0
	h := router.NewHasher(router.KeySeries)
	for _, ts := range wr.Timeseries {
		h.Reset()
		for _, l := range ts.Labels {
			h.AddString(l.Name, l.Value)
		}
		if ring.Lookup(h.Sum64(), nil, nil)[0] == 0 {
			want++
		}
	}
	var m dto.Metric
	if err := b.m.seriesRerouted.Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetCounter().GetValue(); int(got) != want || want == 0 {
		t.Fatalf("rerouted %v, want %d (>0)", got, want)
	}
	for _, tg := range b.targets[0] {
		if n := len(tg.records()); n != 0 {
			t.Fatalf("down backend got %d records", n)
		}
	}
}
