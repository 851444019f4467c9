package chaos

import (
	"strconv"
	"testing"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/internal/testenv"
)

// newBackend starts a recording backend that counts deliveries by
// testenv.SampleKey(series, request number): the series is the "s" label,
// the request number the timestamp's offset from tsBase.
func newBackend(t *testing.T) *testenv.Backend {
	return testenv.NewBackend(t, testenv.BackendOptions{SeriesOf: seriesID, Base: tsBase})
}

// seriesID returns the number in the "s" label.
func seriesID(ls []prompb.Label) (uint32, bool) {
	for _, l := range ls {
		if l.Name == "s" {
			n, err := strconv.ParseUint(l.Value, 10, 32)
			return uint32(n), err == nil
		}
	}
	return 0, false
}
