package ingest

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	"go.yaml.in/yaml/v2"

	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

// withPrometheusDefaults fills rules the way Prometheus' test does
// before validating them.
func withPrometheusDefaults(t *testing.T, rules []*relabel.Config) []*relabel.Config {
	t.Helper()
	for _, c := range rules {
		if c.Action == "" {
			c.Action = relabel.DefaultRelabelConfig.Action
		}
		if c.Separator == "" {
			c.Separator = relabel.DefaultRelabelConfig.Separator
		}
		if c.Regex.Regexp == nil || c.Regex.String() == "" {
			c.Regex = relabel.DefaultRelabelConfig.Regex
		}
		if c.Replacement == "" {
			c.Replacement = relabel.DefaultRelabelConfig.Replacement
		}
		c.NameValidationScheme = model.UTF8Validation
		if err := c.Validate(model.UTF8Validation); err != nil {
			t.Fatal(err)
		}
	}
	return rules
}

// seriesOf is a request of one series with ls (in the order Range gives,
// reversed, so the wire order is unsorted) and a sample and an exemplar.
func seriesOf(ls labels.Labels) *prompb.WriteRequest {
	var pl []prompb.Label
	ls.Range(func(l labels.Label) { pl = append([]prompb.Label{{Name: l.Name, Value: l.Value}}, pl...) })
	return &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels:    pl,
		Samples:   []prompb.Sample{{Value: 1.5, Timestamp: 1700000000000}},
		Exemplars: []prompb.Exemplar{{Labels: lbls("trace_id", "t1"), Value: 2, Timestamp: 1700000000000}},
	}}}
}

// stored returns every series the bed's targets got.
func (b *testBed) stored(t *testing.T) []prompb.TimeSeries {
	t.Helper()
	var out []prompb.TimeSeries
	b.each(func(_, _ int, tg *recTarget) {
		out = append(out, unmarshal(t, payload(tg.records(), queue.KindSeries)).Timeseries...)
	})
	return out
}

func labelsOf(ts prompb.TimeSeries) labels.Labels {
	sb := labels.NewScratchBuilder(len(ts.Labels))
	for _, l := range ts.Labels {
		sb.Add(l.Name, l.Value)
	}
	return sb.Labels()
}

// checkCase posts the case's series to a bed whose rules are set by
// setRules and checks that prws stores what Prometheus outputs, with the
// samples and exemplars untouched.
func checkCase(t *testing.T, in, want labels.Labels, drop bool, setRules func(*Routing)) {
	t.Helper()
	bed := newBed(t, Options{}, 1, 1, 1)
	setRules(bed.rt)
	w := bed.post(compress(marshal(t, seriesOf(in))))
	if w.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	got := bed.stored(t)
	if drop {
		if len(got) != 0 {
			t.Fatalf("dropped by Prometheus, stored by prws: %v", got)
		}
		return
	}
	if len(got) != 1 {
		t.Fatalf("stored %d series, want 1", len(got))
	}
	if ls := labelsOf(got[0]); !labels.Equal(ls, want) {
		t.Fatalf("labels %s, Prometheus gives %s", ls, want)
	}
	if len(got[0].Samples) != 1 || got[0].Samples[0].Value != 1.5 || len(got[0].Exemplars) != 1 {
		t.Fatalf("samples or exemplars changed: %+v", got[0])
	}
}

// TestRelabelMatchesPrometheus runs Prometheus' own relabel test cases
// through prws, as global relabel_configs and as a backend's
// write_relabel_configs: same inputs, same outputs, same drops. prws
// refuses a series without a metric name at the door, as a Prometheus
// receiver does, so each input gets one (__name__="relabel_case");
// Prometheus' relabel.Process gives the output for that input, and where
// the rules leave the name alone that output is the table's plus the
// name. A series the rules leave without a name is dropped (counted as
// invalid), as a receiver would refuse it.
func TestRelabelMatchesPrometheus(t *testing.T) {
	for i, tc := range prometheusRelabelCases() {
		rules := withPrometheusDefaults(t, tc.relabel)
		in := tc.input
		if !in.Has(model.MetricNameLabel) {
			in = labels.NewBuilder(in).Set(model.MetricNameLabel, "relabel_case").Labels()
		}
		lb := labels.NewBuilder(in)
		keep := relabel.ProcessBuilder(lb, rules...)
		want := lb.Labels()
		if keep && want.Get(model.MetricNameLabel) == "relabel_case" && !tc.input.Has(model.MetricNameLabel) {
			if tc.drop || !labels.Equal(labels.NewBuilder(want).Del(model.MetricNameLabel).Labels(), tc.output) {
				t.Fatalf("case %d: Prometheus gives %s for the named input, the table %s (drop %v)", i, want, tc.output, tc.drop)
			}
		}
		drop := !keep || want.Get(model.MetricNameLabel) == ""
		t.Run(fmt.Sprintf("global/%d", i), func(t *testing.T) {
			checkCase(t, in, want, drop, func(rt *Routing) {
				rt.Relabel = &Relabeling{Global: rules}
			})
		})
		t.Run(fmt.Sprintf("backend/%d", i), func(t *testing.T) {
			checkCase(t, in, want, drop, func(rt *Routing) {
				rt.Relabel = &Relabeling{Backends: [][]*relabel.Config{rules}}
			})
		})
	}
}

func rule(t *testing.T, yamlText string) []*relabel.Config {
	t.Helper()
	var rules []*relabel.Config
	if err := yaml.UnmarshalStrict([]byte(yamlText), &rules); err != nil {
		t.Fatal(err)
	}
	return withPrometheusDefaults(t, rules)
}

// TestGlobalRelabelBeforeExternalLabelsAndHash: the global rules see the
// series as sent (not the external labels), the series is hashed as
// rewritten, and drops are counted under backend "global".
func TestGlobalRelabelBeforeExternalLabelsAndHash(t *testing.T) {
	m := NewMetrics(nil)
	bed, ring := realBed(t, Options{}, router.KeySeries, 3, 1, 2)
	bed.h = NewHandler(Options{ExternalLabels: labels.FromStrings("env", "prod")}, m)
	bed.h.SetRouting(bed.rt)
	bed.rt.Relabel = &Relabeling{Global: rule(t, `
- {source_labels: [env], regex: prod, action: drop}
- {source_labels: [job], regex: drop-me, action: drop}
- {regex: pod, action: labeldrop}`)}
	wr := &prompb.WriteRequest{}
	for i := range 40 {
		job := "keep"
		if i%4 == 0 {
			job = "drop-me"
		}
		wr.Timeseries = append(wr.Timeseries, prompb.TimeSeries{
			Labels:  lbls("__name__", "up", "job", job, "pod", fmt.Sprint("p", i), "i", fmt.Sprint(i)),
			Samples: []prompb.Sample{{Value: 1, Timestamp: 1}},
		})
	}
	if w := bed.post(compress(marshal(t, wr))); w.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	bed.each(func(be, sh int, tg *recTarget) {
		for _, ts := range unmarshal(t, payload(tg.records(), queue.KindSeries)).Timeseries {
			h := router.NewHasher(router.KeySeries)
			for _, l := range ts.Labels {
				h.Add([]byte(l.Name), []byte(l.Value))
			}
			if dst := ring.Lookup(h.Sum64(), nil, nil); dst[0] != be || ring.Shard(h.Sum64()) != sh {
				t.Errorf("series %v on backend %d shard %d, its stored labels hash to %v/%d", ts.Labels, be, sh, dst, ring.Shard(h.Sum64()))
			}
		}
	})
	got := bed.stored(t)
	if len(got) != 30 {
		t.Fatalf("stored %d series, want 30 (the env=prod rule must not see the external label)", len(got))
	}
	for _, ts := range got {
		ls := labelsOf(ts)
		if ls.Has("pod") || ls.Get("env") != "prod" || ls.Get("job") != "keep" {
			t.Fatalf("stored %s", ls)
		}
	}
	if n := counterValue(t, m.relabel.dropped.WithLabelValues("global", "rule")); n != 10 {
		t.Errorf("prws_relabel_dropped_series_total{backend=global} = %v, want 10", n)
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestWriteRelabelRoutesBySubset: backend 1 keeps only job=~"node.*"
// and drops the pod label; backend 0 drops job="lost". Every series
// lands where the rules and the ring say: node series on backend 1 or 0
// by the ring (rf 1) or on both (rf 2), the others on backend 0 only,
// "lost" series nowhere and counted.
func TestWriteRelabelRoutesBySubset(t *testing.T) {
	for _, rf := range []int{1, 2} {
		t.Run(fmt.Sprint("rf", rf), func(t *testing.T) {
			bed, _ := realBed(t, Options{}, router.KeySeries, 2, rf, 2)
			bed.rt.Relabel = &Relabeling{Names: []string{"a", "b"}, Backends: [][]*relabel.Config{
				rule(t, `[{source_labels: [job], regex: lost, action: drop}]`),
				rule(t, `[{source_labels: [job], regex: node.*, action: keep}, {regex: pod, action: labeldrop}]`),
			}}
			wr := &prompb.WriteRequest{}
			jobs := []string{"node", "node-exporter", "api", "lost"}
			for i := range 400 {
				wr.Timeseries = append(wr.Timeseries, prompb.TimeSeries{
					Labels:  lbls("__name__", "up", "i", fmt.Sprint(i), "job", jobs[i%4], "pod", "p"),
					Samples: []prompb.Sample{{Value: float64(i), Timestamp: 1}},
				})
			}
			if w := bed.post(compress(marshal(t, wr))); w.Code != http.StatusNoContent {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			perBackend := map[int]map[string]int{0: {}, 1: {}}
			onB := 0
			bed.each(func(be, _ int, tg *recTarget) {
				for _, ts := range unmarshal(t, payload(tg.records(), queue.KindSeries)).Timeseries {
					ls := labelsOf(ts)
					perBackend[be][ls.Get("job")]++
					if be == 1 && ls.Has("pod") || be == 0 && !ls.Has("pod") {
						t.Errorf("backend %d got %s", be, ls)
					}
					if be == 1 {
						onB++
					}
				}
			})
			if perBackend[1]["api"]+perBackend[1]["lost"]+perBackend[0]["lost"] != 0 {
				t.Fatalf("series where the rules forbid them: %v", perBackend)
			}
			if perBackend[0]["api"] != 100 {
				t.Fatalf("backend 0 got %d api series, want all 100", perBackend[0]["api"])
			}
			node := perBackend[0]["node"] + perBackend[1]["node"] + perBackend[0]["node-exporter"] + perBackend[1]["node-exporter"]
			if want := 200 * rf; node != want {
				t.Fatalf("node series stored %d times, want %d (rf %d)", node, want, rf)
			}
			if rf == 1 && (onB == 0 || onB == 200) {
				t.Fatalf("rf 1: %d of 200 node series on backend 1: the ring should share them", onB)
			}
			m := bed.m.relabel
			if got := counterValue(t, m.dropped.WithLabelValues("b", "rule")); got != 200 {
				t.Errorf("dropped{backend=b} = %v, want 200", got)
			}
			if got := counterValue(t, m.unrouted); got != 100 {
				t.Errorf("unrouted = %v, want 100", got)
			}
		})
	}
}

// TestRelabelV2WrittenCounts: the remote-write 2.0 written headers count
// what was stored: not the series the global rules drop, nor those every
// backend's rules drop, whatever their position among the others.
func TestRelabelV2WrittenCounts(t *testing.T) {
	lim := &countLimiter{}
	bed := newBed(t, Options{Limiter: lim}, 1, 1, 1)
	bed.rt.Relabel = &Relabeling{
		Global:   rule(t, `[{source_labels: [job], regex: drop, action: drop}]`),
		Backends: [][]*relabel.Config{rule(t, `[{source_labels: [job], regex: nowhere, action: drop}]`)},
	}
	b := newV2()
	for i, job := range []string{"drop", "keep", "nowhere", "drop", "keep", "drop"} {
		ts := writev2.TimeSeries{}
		for s := range i + 1 {
			ts.Samples = append(ts.Samples, writev2.Sample{Value: 1, Timestamp: int64(s)})
		}
		b.add(ts, "__name__", "up", "job", job, "i", fmt.Sprint(i))
	}
	w := bed.postV2(compress(marshal(t, b.build())))
	if w.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	expectWritten(t, w, 2+5, 0, 0) // the "keep" series, 2 and 5 samples
	if got := len(bed.stored(t)); got != 2 {
		t.Fatalf("stored %d series, want 2", got)
	}
}

// TestRelabelV2MetadataAfterDrops: with series of a 2.0 request dropped
// by the global rules, every kept series still travels with its own
// family's metadata, not that of a series dropped before it.
func TestRelabelV2MetadataAfterDrops(t *testing.T) {
	bed := newBed(t, Options{}, 1, 1, 1)
	bed.rt.Relabel = &Relabeling{Global: rule(t, `[{source_labels: [job], regex: drop, action: drop}]`)}
	v := newV2()
	s := []writev2.Sample{{Value: 1, Timestamp: 1}}
	for _, f := range []struct{ name, job string }{{"a", "drop"}, {"b", "keep"}, {"c", "drop"}, {"d", "keep"}} {
		md := v.meta(writev2.Metadata_METRIC_TYPE_GAUGE, "Help of "+f.name+".", "")
		v.add(writev2.TimeSeries{Samples: s, Metadata: md}, "__name__", f.name, "job", f.job)
	}
	if w := bed.postV2(compress(marshal(t, v.build()))); w.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	got := queued(t, bed).Metadata
	want := sortedCopy(&prompb.WriteRequest{Metadata: []prompb.MetricMetadata{
		{Type: prompb.MetricMetadata_GAUGE, MetricFamilyName: "b", Help: "Help of b."},
		{Type: prompb.MetricMetadata_GAUGE, MetricFamilyName: "d", Help: "Help of d."},
	}}).Metadata
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("metadata\n got %v\nwant %v", got, want)
	}
}
