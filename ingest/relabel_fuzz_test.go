package ingest

import (
	"errors"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"github.com/prometheus/prometheus/prompb"
	"go.yaml.in/yaml/v2"

	"github.com/prws/prws/router"
)

// fuzzRules rewrite, add, drop and map labels.
const fuzzRules = `
- {source_labels: [job], regex: drop-me, action: drop}
- {regex: 'a|b', action: labeldrop}
- {source_labels: [__name__], regex: '(.+)', target_label: name_copy, replacement: '${1}'}
- {regex: '(c.*)', replacement: 'mapped_${1}', action: labelmap}
- {source_labels: [d], target_label: d, action: uppercase}
`

// FuzzRelabelDecode: with global rules, the decoder accepts exactly what
// it accepts without (rules never turn a valid request into an error),
// but for the metric-name rule, which with rules applies to the series as
// relabeled,
// every series it emits is a valid TimeSeries with sorted labels and its
// samples, and a backend's rewrite of each emitted series is one too.
func FuzzRelabelDecode(f *testing.F) {
	for _, wr := range []*prompb.WriteRequest{richRequest(), nodeExporterRequest(3)} {
		raw, _ := wr.Marshal()
		f.Add(raw)
	}
	f.Add([]byte(series(lab("b", "1"), lab("a", "2"), lab("c", "3"), sample())))
	var rules []*relabel.Config
	if err := yaml.UnmarshalStrict([]byte(fuzzRules), &rules); err != nil {
		f.Fatal(err)
	}
	for _, r := range rules {
		if err := r.Validate(model.UTF8Validation); err != nil {
			f.Fatal(err)
		}
	}
	opts := Options{MaxLabelsPerSeries: 64, ExternalLabels: labels.FromStrings("zone", "z1")}
	plain := &decoder{opts: &opts, ext: externalLabels(opts.ExternalLabels), routeH: newFakeHasher(router.KeySeries)}
	d := &decoder{opts: &opts, ext: plain.ext, routeH: newFakeHasher(router.KeySeries), rules: rules}
	rel := &Relabeling{Backends: [][]*relabel.Config{nil, rules}}
	var br backendRelabel
	f.Fuzz(func(t *testing.T, body []byte) {
		plainErr, err := plain.decode(body), d.decode(body)
		nameOnly := errors.Is(plainErr, errNoMetricName) || errors.Is(plainErr, errEmptyMetricName)
		if (plainErr == nil || nameOnly) != (err == nil) {
			t.Fatalf("without rules: %v; with rules: %v", plainErr, err)
		}
		if err != nil {
			return
		}
		if nameOnly { // the name rule applies to the series as relabeled
			checkEmitted(t, d, body)
			return
		}
		if got := len(d.entries) + d.relabelDropped + d.relabelInvalid; got != len(plain.entries) {
			t.Fatalf("%d series with rules (dropped included), %d without", got, len(plain.entries))
		}
		checkEmitted(t, d, body)
		br.reset(2)
		for i := range d.entries {
			pl := entryBytes(d, body, &d.entries[i])
			if !br.evaluate(rel, pl, &opts) {
				t.Fatal("backend 0 has no rules and must keep every series")
			}
			var wr prompb.WriteRequest
			if err := wr.Unmarshal(br.payload(1, pl)); err != nil || len(wr.Timeseries) != 1 {
				t.Fatalf("backend rewrite does not decode: %v", err)
			}
		}
	})
}
