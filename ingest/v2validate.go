package ingest

import (
	"fmt"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// checkV2Series applies the MUSTs of the remote-write 2.0 specification
// on a TimeSeries that the label rules and the 1.0 checks its converted
// form goes through (validate.go) do not cover:
//
//   - "At least one element in samples or in histograms MUST be
//     provided. A TimeSeries MUST NOT include both samples and
//     histograms."
//   - the label set "MUST NOT contain any empty label names or values";
//   - each exemplar "MUST contain a timestamp" (0 is unset in proto3).
//
// ls are the series' resolved labels. On a label error it returns the
// label name.
func checkV2Series(ts *writev2.TimeSeries, ls []prompb.Label) (string, error) {
	switch {
	case len(ts.Samples) == 0 && len(ts.Histograms) == 0:
		return "", fmt.Errorf("%w: series has neither samples nor histograms", ErrInvalidSeries)
	case len(ts.Samples) > 0 && len(ts.Histograms) > 0:
		return "", fmt.Errorf("%w: series has both samples and histograms (send them as two series)", ErrInvalidSeries)
	}
	for _, l := range ls {
		if l.Value == "" {
			return l.Name, badLabels("empty label value")
		}
	}
	for i := range ts.Exemplars {
		if ts.Exemplars[i].Timestamp == 0 {
			return "", fmt.Errorf("%w: exemplar %d has no timestamp", ErrInvalidSeries, i)
		}
	}
	return "", nil
}
