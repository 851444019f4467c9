package readback

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// combo is one input protocol sent through prws to backends of one
// protocol, and the reference it must equal: what Prometheus stores when
// the sender writes the same data to it directly in the backend's
// protocol (for a 1.0 backend fed 2.0 input, the 1.0 form of the data:
// no start timestamps; for a 2.0 backend fed 1.0 input, the 2.0 form with
// each series' metadata attached).
type combo struct {
	input, proto string
	ref          *backend
	got          []*backend
	want         *stored
	gotStored    []*stored
}

// Every kind of data remote-write carries, sent as 1.0 and as 2.0, both
// directly and through the prws binary (replica factor 2 over two
// backends, four shards, small batches) to Prometheus' own write handler
// and tsdb, read back and compared: series, samples bit for bit,
// histograms, exemplars, metadata and start timestamps.
func TestPrometheusReadBack(t *testing.T) {
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Minute).UnixMilli()
	stRel := -time.Minute.Milliseconds()
	v1data, v2data := withoutST(dataSet("v1", base)), dataSet("v2", base)

	refV1, refV1as2 := newBackend(t, "direct 1.0"), newBackend(t, "direct 2.0 form of 1.0 input")
	refV2, refV2as1 := newBackend(t, "direct 2.0"), newBackend(t, "direct 1.0 form of 2.0 input")
	sendV1(t, refV1.url(), v1data)
	sendV2(t, refV1as2.url(), v1data, true)
	sendV2(t, refV2.url(), v2data, false)
	sendV2AsV1(t, refV2as1.url(), v2data)

	p1 := []*backend{newBackend(t, "prws 1.0 backend a"), newBackend(t, "prws 1.0 backend b")}
	p2 := []*backend{newBackend(t, "prws 2.0 backend a"), newBackend(t, "prws 2.0 backend b")}
	u1, u2 := startPrws(t, "v1", p1...), startPrws(t, "v2", p2...)
	for _, u := range []string{u1, u2} {
		sendV1(t, u, v1data)
		sendV2(t, u, v2data, false)
	}
	combos := []*combo{
		{input: "v1", proto: "v1", ref: refV1, got: p1},
		{input: "v1", proto: "v2", ref: refV1as2, got: p2},
		{input: "v2", proto: "v1", ref: refV2as1, got: p1},
		{input: "v2", proto: "v2", ref: refV2, got: p2},
	}
	for _, c := range combos {
		c.want = readBack(t, c.ref, c.input, base)
		for _, g := range c.got {
			c.gotStored = append(c.gotStored, waitEqual(t, c, g, base))
		}
	}
	for _, b := range []*backend{refV1, refV1as2, refV2, refV2as1, p1[0], p1[1], p2[0], p2[1]} {
		if err := b.close(); err != nil {
			t.Fatalf("%s: close: %v", b.name, err)
		}
	}
	for _, c := range combos {
		readMetadata(t, c.ref, c.want)
		for i, g := range c.got {
			readMetadata(t, g, c.gotStored[i])
			if d := diff(c.want, c.gotStored[i]); len(d) > 0 && !t.Failed() {
				t.Errorf("%s input, %s (%s): differs from %s:\n%s", c.input, g.name, c.proto, c.ref.name, strings.Join(d, "\n"))
			}
		}
	}
	checkReferences(t, combos, stRel, len(v2data))
	for _, b := range p1 {
		if n := b.v1MetaFamilies(); n != len(families) {
			t.Errorf("%s received 1.0 metadata of %d/%d families", b.name, n, len(families))
		}
	}
	// Every start timestamp of the 2.0 input, once per 1.0 backend.
	withST := by(combos, "v2", "v2").want.count(stRel).withST
	if got := metricSum(t, u1, "prws_remote_start_timestamps_dropped_total"); got != float64(len(p1)*withST) {
		t.Errorf("prws counted %v start timestamps dropped for its 1.0 backends, want %d", got, len(p1)*withST)
	}
	t.Log("\n" + table(combos, stRel, p1))
}

// waitLimit bounds the wait for prws to deliver everything.
const waitLimit = time.Minute

// waitEqual polls g's read-back of c.input until it equals c.want
// (metadata aside: it is read once the tsdb is closed), for at most
// waitLimit, and returns it; a difference left then fails the test.
func waitEqual(t *testing.T, c *combo, g *backend, base int64) *stored {
	t.Helper()
	return waitEqualBy(t, c, g, base, nil)
}

// waitEqualBy is waitEqual comparing view(read-back) with view(c.want);
// nil view compares them as they are.
func waitEqualBy(t *testing.T, c *combo, g *backend, base int64, view func(*stored) *stored) *stored {
	t.Helper()
	if view == nil {
		view = func(s *stored) *stored { return s }
	}
	want := view(c.want)
	deadline := time.Now().Add(waitLimit)
	for {
		got := view(readBack(t, g, c.input, base))
		d := diff(want, got)
		if len(d) == 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Errorf("%s input, %s (%s): after %v still differs from %s:\n%s",
				c.input, g.name, c.proto, waitLimit, c.ref.name, strings.Join(d, "\n"))
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// withoutTypeAndUnit is s with the __type__ and __unit__ labels the
// 2.0 receiver derives from metadata taken out of the series names, and
// no metadata: the data alone.
func withoutTypeAndUnit(s *stored) *stored {
	out := &stored{series: map[string]*storedSeries{}}
	for _, v := range s.series {
		ls := labels.NewBuilder(v.ls).Del("__type__", "__unit__").Labels()
		out.series[ls.String()] = &storedSeries{ls: ls, points: v.points, exemplars: v.exemplars}
	}
	return out
}

// checkReferences makes sure the references hold the whole data set, so
// that equal cannot mean equally empty: every series, the exemplars, and
// for 2.0 the metadata of every family and the start timestamps (as
// stored start timestamps and as zero samples).
func checkReferences(t *testing.T, combos []*combo, stRel int64, nSeries int) {
	t.Helper()
	for _, c := range combos {
		n := c.want.count(stRel)
		if n.series != nSeries || n.exemplars != 12 || n.histograms == 0 || n.floats == 0 {
			t.Errorf("reference %s holds %+v, want %d series, 12 exemplars, histograms and floats", c.ref.name, n, nSeries)
		}
		v2 := c.proto == "v2"
		if v2 != (n.metaFamilies == len(families)) || (c.input == "v2" && v2) != (n.withST > 0 && n.zeroAtStart > 0) {
			t.Errorf("reference %s holds %+v: metadata or start timestamps not as its protocol stores them", c.ref.name, n)
		}
	}
}

// by returns the combo of input and protocol.
func by(combos []*combo, input, proto string) *combo {
	for _, c := range combos {
		if c.input == input && c.proto == proto {
			return c
		}
	}
	return nil
}

// table renders the read-back as the report's table.
func table(combos []*combo, stRel int64, v1backends []*backend) string {
	var b strings.Builder
	b.WriteString("| data | input | direct | via prws, 1.0 backends | via prws, 2.0 backends |\n|---|---|---|---|---|\n")
	direct := map[string]*combo{"v1": by(combos, "v1", "v1"), "v2": by(combos, "v2", "v2")}
	for _, row := range []string{"floats", "histograms", "exemplars", "metadata", "start timestamps"} {
		for _, in := range []string{"v1", "v2"} {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", row, strings.Replace(in, "v", "", 1)+".0",
				cell(row, direct[in].want.count(stRel), 0, false),
				cell(row, by(combos, in, "v1").gotStored[0].count(stRel), v1backends[0].v1MetaFamilies(), true),
				cell(row, by(combos, in, "v2").gotStored[0].count(stRel), 0, false))
		}
	}
	return b.String()
}

// cell renders one row of one read-back.
func cell(row string, n counts, v1meta int, v1 bool) string {
	switch row {
	case "floats":
		return fmt.Sprintf("%d samples, %d series", n.floats, n.series)
	case "histograms":
		return fmt.Sprintf("%d", n.histograms)
	case "exemplars":
		return fmt.Sprintf("%d", n.exemplars)
	case "metadata":
		s := fmt.Sprintf("%d/%d families, %d/%d series", n.metaFamilies, len(families), n.metaSeries, n.familySeries)
		if v1 {
			s += fmt.Sprintf(" stored (%d/%d sent in 1.0; Prometheus' 1.0 receiver stores none)", v1meta, len(families))
		}
		return s
	}
	if n.withST == 0 && n.zeroAtStart == 0 {
		return "none"
	}
	return fmt.Sprintf("%d points with theirs, %d zero samples", n.withST, n.zeroAtStart)
}
