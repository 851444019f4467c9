package limiter

import (
	"errors"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestNoLimitAdmitsAllAndTracksNothing(t *testing.T) {
	l := mustNew(t, Options{}, nil)
	if n := admitRange(l, 0, 1000); n != 1000 {
		t.Fatalf("admitted %d of 1000", n)
	}
	for i := range l.stripes {
		for w := range l.stripes[i].w {
			if len(l.stripes[i].w[w].set.slots) != 0 {
				t.Fatal("a disabled window allocated a set")
			}
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOptionsValidation(t *testing.T) {
	if _, err := New(Options{MaxHourlySeries: -1}, nil); !errors.Is(err, ErrOptions) {
		t.Fatalf("negative limit: err = %v", err)
	}
	if _, err := New(Options{MaxDailySeries: 1}, nil); !errors.Is(err, ErrOptions) {
		t.Fatalf("limit without persister: err = %v", err)
	}
	o := Options{}
	if _, err := New(o, nil); err != nil || o.FlushInterval != 0 {
		t.Fatalf("defaults written back into caller's Options: %+v", o)
	}
}

func TestHourlyLimitKeepsAdmittedSeriesFlowing(t *testing.T) {
	p, _ := tempBolt(t)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	l := mustNew(t, Options{MaxHourlySeries: 10, Metrics: m}, p)
	if n := admitRange(l, 1, 21); n != 10 {
		t.Fatalf("admitted %d new series, want 10", n)
	}
	if n := admitRange(l, 1, 11); n != 10 {
		t.Fatalf("admitted series refused: %d of 10 passed", n)
	}
	if l.Admit(100, 7) {
		t.Fatal("new series admitted over the limit")
	}
	st := l.Status()
	if st.Hour.Series != 10 || st.Hour.Limit != 10 || st.Hour.SeriesDropped != 11 || st.Hour.RowsDropped != 17 {
		t.Fatalf("status %+v", st.Hour)
	}
	if v := value(m.hourlyRows); v != 17 {
		t.Fatalf("prws_hourly_series_limit_rows_drop_total = %v", v)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if v := value(m.series.WithLabelValues("hour")); v != 10 {
		t.Fatalf("prws_limiter_series{hour} = %v", v)
	}
}

func TestSeriesMustPassBothWindows(t *testing.T) {
	p, _ := tempBolt(t)
	clk := newClock("2024-05-01T10:00:00Z")
	l := mustNew(t, Options{MaxHourlySeries: 5, MaxDailySeries: 8, Now: clk.Now}, p)
	if n := admitRange(l, 1, 100); n != 5 {
		t.Fatalf("hour 10: admitted %d, want 5", n)
	}
	clk.Set("2024-05-01T11:00:00Z")
	// 3 new series fit the day budget; the day refuses the rest.
	if n := admitRange(l, 6, 100); n != 3 {
		t.Fatalf("hour 11, new series: admitted %d, want 3", n)
	}
	// Series 1..5 are in the day already; 2 fit the rest of the hour.
	if n := admitRange(l, 1, 100); n != 5 {
		t.Fatalf("hour 11, all series: admitted %d, want 5", n)
	}
	st := l.Status()
	if st.Day.Series != 8 || st.Hour.Series != 5 {
		t.Fatalf("day %d hour %d, want 8 and 5", st.Day.Series, st.Hour.Series)
	}
	clk.Set("2024-05-01T12:00:00Z")
	// Day is full: only the 8 day series may enter the new hour, 5 of them.
	if n := admitRange(l, 1, 100); n != 5 {
		t.Fatalf("hour 12: admitted %d, want 5", n)
	}
	if l.Admit(50, 1) {
		t.Fatal("series outside the day budget admitted")
	}
	if l.Status().Day.SeriesDropped == 0 {
		t.Fatal("day refusals not counted")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDayRefusalUsesNoHourBudget(t *testing.T) {
	p, _ := tempBolt(t)
	l := mustNew(t, Options{MaxHourlySeries: 10, MaxDailySeries: 2}, p)
	admitRange(l, 1, 50)
	if st := l.Status(); st.Hour.Series != 2 {
		t.Fatalf("hour counted %d series refused by the day", st.Hour.Series)
	}
	_ = l.Close()
}

func TestRolloverAt1059And1100(t *testing.T) {
	p, _ := tempBolt(t)
	clk := newClock("2024-05-01T10:59:59Z")
	l := mustNew(t, Options{MaxHourlySeries: 1, Now: clk.Now}, p)
	if !l.Admit(42, 1) || l.Admit(43, 1) {
		t.Fatal("10:59: want 42 admitted, 43 refused")
	}
	clk.Set("2024-05-01T11:00:00Z")
	if st := l.Status(); st.Hour.Series != 0 || st.Hour.Start.Hour() != 11 {
		t.Fatalf("11:00 status before any admission: %+v", st.Hour)
	}
	if !l.Admit(43, 1) || l.Admit(42, 1) {
		t.Fatal("11:00: 43 must take the new window's only slot")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestHashZeroIsOne(t *testing.T) {
	p, _ := tempBolt(t)
	l := mustNew(t, Options{MaxHourlySeries: 1}, p)
	if !l.Admit(0, 1) || !l.Admit(1, 1) || l.Status().Hour.Series != 1 {
		t.Fatal("hash 0 and 1 must be the same series")
	}
	_ = l.Close()
}

// TestConcurrentAdmitNeverExceedsLimit races 8 goroutines on overlapping
// hashes; the limit must hold exactly.
func TestConcurrentAdmitNeverExceedsLimit(t *testing.T) {
	p, _ := tempBolt(t)
	const limit = 3000
	l := mustNew(t, Options{MaxHourlySeries: limit, MaxDailySeries: limit + 500, FlushInterval: 1}, p)
	l.Start()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range uint64(5000) {
				l.Admit((i*7919+uint64(g))%6000+1, 1)
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	st := l.Status()
	if st.Hour.Series != limit || st.Unflushed != 0 {
		t.Fatalf("series %d (limit %d), unflushed %d", st.Hour.Series, limit, st.Unflushed)
	}
	rs, err := ReadStatus(p, l.opts.Now())
	if err != nil || rs.Hour.Series != limit || rs.Day.Series != limit {
		t.Fatalf("persisted %+v, err %v", rs, err)
	}
}
