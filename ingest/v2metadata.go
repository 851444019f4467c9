package ingest

import (
	"strings"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// metadata turns the metadata of a series (labels ls, sorted) into a
// remote-write 1.0 MetricMetadata, once per metric family and request,
// and returns its index in s.wr.Metadata, or -1 when it keeps none. Its
// references are checked even when it carries nothing. Metadata with no
// type, help or unit, or on a series without __name__, is not kept. The
// first series of a family sets its metadata for the request.
func (s *v2State) metadata(md *writev2.Metadata, ls []prompb.Label) (int32, error) {
	help, err := s.symbol("metadata help_ref", md.HelpRef)
	if err != nil {
		return -1, err
	}
	unit, err := s.symbol("metadata unit_ref", md.UnitRef)
	if err != nil {
		return -1, err
	}
	name := metricName(ls)
	if name == "" || (md.Type == writev2.Metadata_METRIC_TYPE_UNSPECIFIED && help == "" && unit == "") {
		return -1, nil
	}
	family := familyName(name, md.Type)
	if i, seen := s.families[family]; seen {
		return i, nil
	}
	i := int32(len(s.wr.Metadata))
	s.families[family] = i
	s.wr.Metadata = append(s.wr.Metadata, prompb.MetricMetadata{
		Type: v1Type(md.Type), MetricFamilyName: family, Help: help, Unit: unit,
	})
	return i, nil
}

// v1Type maps the 2.0 metric type onto the 1.0 enum (same names and
// numbers); a type this build does not know becomes UNKNOWN.
func v1Type(t writev2.Metadata_MetricType) prompb.MetricMetadata_MetricType {
	if t < writev2.Metadata_METRIC_TYPE_UNSPECIFIED || t > writev2.Metadata_METRIC_TYPE_STATESET {
		return prompb.MetricMetadata_UNKNOWN
	}
	return prompb.MetricMetadata_MetricType(t)
}

// familySuffixes are the series suffixes of the classic histogram and
// summary families (and their OpenMetrics gauge-histogram forms).
var familySuffixes = [...]string{"_bucket", "_count", "_sum", "_gcount", "_gsum"}

// familyName derives the metric family of a series: for histograms,
// gauge histograms and summaries the classic series suffix is removed
// (foo_bucket, foo_sum, foo_count → foo); other names are the family as
// they are (a counter's _total stays, as in the text format).
func familyName(name string, t writev2.Metadata_MetricType) string {
	switch t {
	case writev2.Metadata_METRIC_TYPE_HISTOGRAM, writev2.Metadata_METRIC_TYPE_GAUGEHISTOGRAM,
		writev2.Metadata_METRIC_TYPE_SUMMARY:
	default:
		return name
	}
	for _, suf := range familySuffixes {
		if base, ok := strings.CutSuffix(name, suf); ok && base != "" {
			return base
		}
	}
	return name
}
