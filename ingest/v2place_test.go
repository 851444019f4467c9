package ingest

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"

	"github.com/prws/prws/queue"
)

// Metadata of a 2.0 request travels with its series: every record that
// holds a series of a family holds that family's metadata, once, on
// every shard and every replica, however records are cut; a record has
// no metadata of a family it holds no series of.
func TestV2MetadataInEveryRecordOfItsSeries(t *testing.T) {
	v := newV2()
	families := map[string]prompb.MetricMetadata{}
	for f := 0; f < 5; f++ {
		name := fmt.Sprintf("family_%d_total", f)
		help := fmt.Sprintf("Help of family %d.", f)
		families[name] = prompb.MetricMetadata{Type: prompb.MetricMetadata_COUNTER, MetricFamilyName: name, Help: help, Unit: "bytes"}
		md := v.meta(writev2.Metadata_METRIC_TYPE_COUNTER, help, "bytes")
		for i := 0; i < 40; i++ {
			v.add(writev2.TimeSeries{Samples: []writev2.Sample{{Value: float64(i), Timestamp: 1}}, Metadata: md},
				"__name__", name, "instance", fmt.Sprint(i))
		}
	}
	v.add(writev2.TimeSeries{Samples: []writev2.Sample{{Value: 1, Timestamp: 1}}}, "__name__", "no_metadata")
	b := newBed(t, Options{BatchSamples: 7}, 3, 2, 4)
	w := b.postV2(compress(marshal(t, v.build())))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	records := 0
	b.each(func(be, sh int, tg *recTarget) {
		for _, r := range tg.records() {
			if r.Kind != queue.KindSeries {
				t.Fatalf("backend %d shard %d: record of kind %d", be, sh, r.Kind)
			}
			records++
			wr := unmarshal(t, r.Payload)
			need := map[string]bool{}
			for _, ts := range wr.Timeseries {
				if n := metricName(ts.Labels); n != "no_metadata" {
					need[n] = true
				}
			}
			have := map[string]bool{}
			for _, m := range wr.Metadata {
				if have[m.MetricFamilyName] || !need[m.MetricFamilyName] || m.String() != pointer(families[m.MetricFamilyName]).String() {
					t.Fatalf("backend %d shard %d: unexpected metadata %v in a record of %v", be, sh, m, need)
				}
				have[m.MetricFamilyName] = true
			}
			if len(have) != len(need) {
				t.Fatalf("backend %d shard %d: record has metadata of %v, series of %v", be, sh, have, need)
			}
		}
	})
	if records < 2*201/7 {
		t.Fatalf("only %d records: the test meant records to be cut", records)
	}
}

func pointer[T any](v T) *T { return &v }
