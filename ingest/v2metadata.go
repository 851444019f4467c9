package ingest

import (
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"

	"github.com/prws/prws/internal/rw2"
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
	family := rw2.FamilyName(name, md.Type)
	if i, seen := s.families[family]; seen {
		return i, nil
	}
	i := int32(len(s.wr.Metadata))
	s.families[family] = i
	s.wr.Metadata = append(s.wr.Metadata, prompb.MetricMetadata{
		Type: rw2.TypeToV1(md.Type), MetricFamilyName: family, Help: help, Unit: unit,
	})
	return i, nil
}
