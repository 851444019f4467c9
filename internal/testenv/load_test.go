package testenv

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/prometheus/prompb"
)

func TestLoadSeriesOf(t *testing.T) {
	l := NewLoad(LoadOptions{Series: 5, PerRequest: 3})
	if got := l.SeriesOf(1); !slices.Equal(got, []uint32{3, 4, 0}) {
		t.Errorf("SeriesOf(1) = %v, want [3 4 0]", got)
	}
	l = NewLoad(LoadOptions{IDs: []uint32{7, 9}, PerRequest: 3})
	if got := l.SeriesOf(1); !slices.Equal(got, []uint32{9, 7, 9}) {
		t.Errorf("SeriesOf(1) with IDs = %v, want [9 7 9]", got)
	}
}

func TestLoadRecordsAcks(t *testing.T) {
	seriesOf := func(ls []prompb.Label) (uint32, bool) {
		for _, l := range ls {
			if l.Name == "series" {
				n, err := strconv.Atoi(l.Value)
				return uint32(n), err == nil
			}
		}
		return 0, false
	}
	b := NewBackend(t, BackendOptions{SeriesOf: seriesOf, Base: 1000})
	l := NewLoad(LoadOptions{URL: b.URL(), Series: 10, PerRequest: 4, Base: 1000})
	began := time.Now()
	stop := l.Run(2, 0)
	Eventually(t, 30*time.Second, "20 acknowledged requests", func() bool { return len(l.Acked()) >= 20 })
	stop()
	stop()
	l.CheckUnexpected(t)
	acked := l.Acked()
	if n := len(l.AckedIn(began, time.Now().Add(time.Second))); n != len(acked) {
		t.Errorf("%d requests acknowledged in the run's window, want all %d", n, len(acked))
	}
	for _, k := range acked {
		for _, id := range l.SeriesOf(k) {
			if !b.Has(SampleKey(id, k)) {
				t.Fatalf("sample of series %d request %d acknowledged but not delivered", id, k)
			}
		}
	}
	b.Fail(http.StatusServiceUnavailable)
	if code, _ := l.OneHeader(); code != http.StatusServiceUnavailable {
		t.Errorf("OneHeader answered %d, want 503", code)
	}
}
