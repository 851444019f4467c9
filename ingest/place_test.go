package ingest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

// viaInterface hides a *router.Ring behind the Ring interface, so the
// placer takes its general path.
type viaInterface struct{ r *router.Ring }

func (v viaInterface) Lookup(h uint64, health router.Health, dst []int) []int {
	return v.r.Lookup(h, health, dst)
}
func (v viaInterface) Shard(h uint64) int { return v.r.Shard(h) }

// placeRequest has node_exporter series, some with unsorted labels (so
// taken from the rewrite buffer), one without samples, histograms and
// metadata.
func placeRequest() *prompb.WriteRequest {
	wr := nodeExporterRequest(400)
	for i := 0; i < len(wr.Timeseries); i += 7 {
		ls := wr.Timeseries[i].Labels
		ls[1], ls[2] = ls[2], ls[1]
	}
	rich := richRequest()
	wr.Timeseries = append(wr.Timeseries, rich.Timeseries...)
	wr.Metadata = rich.Metadata
	return wr
}

// placed is what one routing made of a request: the touched targets in
// first-use order, and their records.
type placed struct {
	touched []int
	recs    [][]queue.Record
	kept    int
	samples int
}

// placeWith decodes and places body over rt with at most max samples
// a record, as Handler.route does, and returns the outcome.
func placeWith(t testing.TB, rt *Routing, body []byte, max int) (placed, error) {
	t.Helper()
	st, err := placeState(t, rt, body, max)
	out := placed{touched: slices.Clone(st.place.touched), kept: st.place.kept, samples: st.place.keptSamples}
	for _, i := range st.place.touched {
		out.recs = append(out.recs, slices.Clone(st.place.accs[i].records("tenant")))
	}
	return out, err
}

// placeState decodes and places body over rt with at most max samples a
// record, as Handler.route does, and returns the request state with the
// placement's error.
func placeState(t testing.TB, rt *Routing, body []byte, max int) (*reqState, error) {
	t.Helper()
	st := &reqState{}
	o := Options{BatchSamples: max}.withDefaults()
	st.prepare(rt, &o, nil, 0, nil)
	if err := st.dec.decode(body); err != nil {
		t.Fatal(err)
	}
	return st, st.place.place(rt, &st.dec, body, nil, max)
}

// TestAllUpPathMatchesLookup: with a *router.Ring of one or two replicas
// and no health, the placer's direct path fills the same targets in the
// same order with the same records as the Ring interface path does, for
// record limits that split often, rarely and never.
func TestAllUpPathMatchesLookup(t *testing.T) {
	body := marshal(t, placeRequest())
	for _, c := range []struct{ backends, replicas, shards int }{
		{1, 1, 1}, {2, 1, 2}, {2, 2, 1}, {4, 2, 4}, {5, 1, 8},
	} {
		for _, max := range []int{1, 7, DefaultBatchSamples} {
			name := fmt.Sprintf("%d-backends-rf%d-%d-shards-max%d", c.backends, c.replicas, c.shards, max)
			t.Run(name, func(t *testing.T) {
				b, ring := realBed(t, Options{}, router.KeySeries, c.backends, c.replicas, c.shards)
				if allUpRing(b.rt, false) == nil {
					t.Fatal("the direct path does not apply")
				}
				want, err := placeWith(t, &Routing{Ring: viaInterface{ring}, Key: b.rt.Key, Targets: b.rt.Targets}, body, max)
				if err != nil {
					t.Fatal(err)
				}
				got, err := placeWith(t, b.rt, body, max)
				if err != nil {
					t.Fatal(err)
				}
				comparePlaced(t, got, want)
			})
		}
	}
}

func comparePlaced(t testing.TB, got, want placed) {
	t.Helper()
	if !slices.Equal(got.touched, want.touched) || got.kept != want.kept || got.samples != want.samples {
		t.Fatalf("touched %v, kept %d (%d samples); want %v, %d (%d)",
			got.touched, got.kept, got.samples, want.touched, want.kept, want.samples)
	}
	for i := range want.recs {
		if len(got.recs[i]) != len(want.recs[i]) {
			t.Fatalf("target %d: %d records, want %d", want.touched[i], len(got.recs[i]), len(want.recs[i]))
		}
		for j, w := range want.recs[i] {
			g := got.recs[i][j]
			if g.Kind != w.Kind || g.Tenant != w.Tenant || g.Samples != w.Samples || string(g.Payload) != string(w.Payload) {
				t.Fatalf("target %d record %d differs", want.touched[i], j)
			}
		}
	}
}

// TestAllUpPathWithHealthAllUp: a Health reporting every backend up (the
// watchdog's, most of the time) takes the direct path, with the answers
// Lookup gives with that Health.
func TestAllUpPathWithHealthAllUp(t *testing.T) {
	body := marshal(t, placeRequest())
	b, ring := realBed(t, Options{}, router.KeySeries, 3, 2, 2)
	rt := &Routing{Ring: ring, Health: downHealth(-1), Key: b.rt.Key, Targets: b.rt.Targets}
	if anyDown(rt) || allUpRing(rt, anyDown(rt)) == nil {
		t.Fatal("the direct path does not apply with every backend up")
	}
	want, err := placeWith(t, &Routing{Ring: viaInterface{ring}, Health: downHealth(-1), Key: b.rt.Key, Targets: b.rt.Targets}, body, 7)
	if err != nil {
		t.Fatal(err)
	}
	got, err := placeWith(t, rt, body, 7)
	if err != nil {
		t.Fatal(err)
	}
	comparePlaced(t, got, want)
}

// TestAllUpPathMissingTarget: a nil target is the same routing error on
// both paths, and the direct path is not taken where an answer could fall
// outside the targets, with a health, or with more than two replicas.
func TestAllUpPathMissingTarget(t *testing.T) {
	body := marshal(t, nodeExporterRequest(50))
	b, ring := realBed(t, Options{}, router.KeySeries, 2, 2, 2)
	b.rt.Targets[1][0] = nil
	_, got := placeWith(t, b.rt, body, DefaultBatchSamples)
	_, want := placeWith(t, &Routing{Ring: viaInterface{ring}, Key: b.rt.Key, Targets: b.rt.Targets}, body, DefaultBatchSamples)
	if !errors.Is(got, errRouting) || got.Error() != want.Error() {
		t.Fatalf("direct path: %v, interface path: %v", got, want)
	}
	for name, rt := range map[string]*Routing{
		"one down":   {Ring: ring, Health: downHealth(0), Targets: b.rt.Targets},
		"short row":  {Ring: ring, Targets: [][]Target{b.rt.Targets[0], b.rt.Targets[1][:1]}},
		"no backend": {Ring: ring, Targets: b.rt.Targets[:1]},
		"3 replicas": {Ring: mustRing(t, 3, 3, 2), Targets: [][]Target{b.rt.Targets[0], b.rt.Targets[1], b.rt.Targets[0]}},
	} {
		if allUpRing(rt, anyDown(rt)) != nil {
			t.Errorf("%s: direct path taken", name)
		}
	}
}

func mustRing(t testing.TB, backends, replicas, shards int) *router.Ring {
	t.Helper()
	var ids []string
	for i := 0; i < backends; i++ {
		ids = append(ids, fmt.Sprintf("backend-%d", i))
	}
	r, err := router.New(ids, replicas, shards)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAccRecords: records are cut at max samples and at kind changes, a
// record takes at least one entry (even past max), an entry without
// samples joins the open record unless that is past max, and records may
// be asked for twice.
func TestAccRecords(t *testing.T) {
	var a acc
	a.bind(nopTarget{}, 4)
	for _, n := range []int{2, 0, 1, 5, 0, 1, 1} {
		a.add(queue.KindSeries, []byte{byte('0' + n)}, n, 3)
	}
	a.add(queue.KindMetadata, []byte("m"), 0, 0)
	a.add(queue.KindMetadata, []byte("n"), 0, 0)
	want := []queue.Record{
		{Kind: queue.KindSeries, Samples: 3, Payload: []byte("201")},
		{Kind: queue.KindSeries, Samples: 5, Payload: []byte("5")},
		{Kind: queue.KindSeries, Samples: 2, Payload: []byte("011")},
		{Kind: queue.KindMetadata, Payload: []byte("mn")},
	}
	for range 2 {
		got := a.records("")
		if len(got) != len(want) {
			t.Fatalf("%d records, want %d", len(got), len(want))
		}
		for i, w := range want {
			if got[i].Kind != w.Kind || got[i].Samples != w.Samples || string(got[i].Payload) != string(w.Payload) {
				t.Fatalf("record %d: %v %d %q, want %v %d %q", i, got[i].Kind, got[i].Samples, got[i].Payload, w.Kind, w.Samples, w.Payload)
			}
		}
	}
	a.reset(retainBytes)
	if a.target != nil || len(a.buf) != 0 || len(a.records("")) != 0 {
		t.Fatal("reset left state behind")
	}
}

// FuzzPlacement: for any body the decoder accepts and any record limit,
// the direct path and the Ring interface path place alike.
func FuzzPlacement(f *testing.F) {
	for _, wr := range []*prompb.WriteRequest{placeRequest(), richRequest(), nodeExporterRequest(3)} {
		raw, _ := wr.Marshal()
		f.Add(raw, uint8(3))
	}
	f.Add([]byte(series(lab("b", "1"), lab("a", "2"), sample())), uint8(0))
	ring := mustRing(f, 3, 2, 4)
	var targets [][]Target
	for range 3 {
		targets = append(targets, slices.Repeat([]Target{nopTarget{}}, 4))
	}
	direct := &Routing{Ring: ring, Key: router.KeySeries, Targets: targets}
	general := &Routing{Ring: viaInterface{ring}, Key: router.KeySeries, Targets: targets}
	opts := Options{}.withDefaults()
	d := &decoder{opts: &opts, routeH: router.NewHasher(router.KeySeries)}
	f.Fuzz(func(t *testing.T, body []byte, max uint8) {
		if d.decode(body) != nil {
			return
		}
		want, err := placeWith(t, general, body, 1+int(max))
		if err != nil {
			t.Fatal(err)
		}
		got, err := placeWith(t, direct, body, 1+int(max))
		if err != nil {
			t.Fatal(err)
		}
		comparePlaced(t, got, want)
	})
}
