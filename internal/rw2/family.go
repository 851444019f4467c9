package rw2

import (
	"strings"

	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// familySuffixes are the suffixes by which a series name may differ from
// its metric family's name. classic marks the series suffixes of the
// histogram, gauge-histogram and summary families, which FamilyName
// removes; the others (a counter's _total, OpenMetrics' _created and
// _info) are only tried when looking a family's metadata up.
var familySuffixes = [...]struct {
	suffix  string
	classic bool
}{
	{"_bucket", true}, {"_count", true}, {"_sum", true}, {"_gcount", true}, {"_gsum", true},
	{"_total", false}, {"_created", false}, {"_info", false},
}

// FamilyName derives the metric family of a series named name whose
// metadata says type t: for histograms, gauge histograms and summaries
// the classic series suffix is removed (foo_bucket, foo_sum, foo_count →
// foo); other names are the family as they are (a counter's _total
// stays, as in the text format).
func FamilyName(name string, t writev2.Metadata_MetricType) string {
	switch t {
	case writev2.Metadata_METRIC_TYPE_HISTOGRAM, writev2.Metadata_METRIC_TYPE_GAUGEHISTOGRAM,
		writev2.Metadata_METRIC_TYPE_SUMMARY:
	default:
		return name
	}
	for _, f := range familySuffixes {
		if !f.classic {
			continue
		}
		if base, ok := strings.CutSuffix(name, f.suffix); ok && base != "" {
			return base
		}
	}
	return name
}

// LookupFamily returns what known answers for the family of a series
// named name: the name itself, else the name without one of the family
// suffixes. ok is false when known has none of them.
func LookupFamily[T any](name string, known map[string]T) (v T, ok bool) {
	if name == "" {
		return v, false
	}
	if v, ok = known[name]; ok {
		return v, true
	}
	for _, f := range familySuffixes {
		if base, cut := strings.CutSuffix(name, f.suffix); cut && base != "" {
			if v, ok = known[base]; ok {
				return v, true
			}
		}
	}
	return v, false
}
