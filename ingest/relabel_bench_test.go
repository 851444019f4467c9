package ingest

import (
	"testing"

	"github.com/prometheus/prometheus/model/relabel"
	"go.yaml.in/yaml/v2"
)

// benchRules parses rules for a benchmark.
func benchRules(b *testing.B, text string) []*relabel.Config {
	b.Helper()
	var rules []*relabel.Config
	if err := yaml.UnmarshalStrict([]byte(text), &rules); err != nil {
		b.Fatal(err)
	}
	return rules
}

// BenchmarkRelabel: the cost per series of relabeling on the request of
// BenchmarkDecodeRoute (2000 node_exporter-shaped series), to compare
// with its "fast" (no rules) and "gogo-full-decode" lines in the same run:
//
//	go test -run '^$' -bench 'DecodeRoute|Relabel' -benchmem ./ingest
func BenchmarkRelabel(b *testing.B) {
	body, _ := nodeExporterRequest(benchSeries).Marshal()
	with := func(rel *Relabeling) *Routing {
		rt := *benchRouting(b)
		rt.Relabel = rel
		return &rt
	}
	keep := benchRules(b, `[{source_labels: [job], regex: node.*, action: keep}]`)
	drop := benchRules(b, `[{source_labels: [mode], regex: idle0, action: drop}]`)
	rewrite := benchRules(b, `[{regex: pod|node, action: labeldrop}]`)
	b.Run("global-keep-all", func(b *testing.B) { benchPath(b, with(&Relabeling{Global: keep}), body, Options{}) })
	b.Run("global-drop-third", func(b *testing.B) { benchPath(b, with(&Relabeling{Global: drop}), body, Options{}) })
	b.Run("global-labeldrop", func(b *testing.B) { benchPath(b, with(&Relabeling{Global: rewrite}), body, Options{}) })
	b.Run("backend-keep", func(b *testing.B) {
		benchPath(b, with(&Relabeling{Backends: [][]*relabel.Config{nil, keep}}), body, Options{})
	})
	b.Run("backend-labeldrop", func(b *testing.B) {
		benchPath(b, with(&Relabeling{Backends: [][]*relabel.Config{nil, rewrite}}), body, Options{})
	})
}
