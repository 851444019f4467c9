package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/dataops"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/limiter"
	"github.com/prws/prws/store"
)

func TestLimiterFromDataDir(t *testing.T) {
	data := t.TempDir()
	if _, err := dataops.LimiterFromDataDir(data, time.Now()); err == nil {
		t.Error("no state file: no error")
	}
	st, err := store.Open(datadir.StatePath(data), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	got, err := dataops.LimiterFromDataDir(data, time.Now())
	if err != nil || got.Enabled {
		t.Fatalf("limiter never ran: %+v, %v", got, err)
	}
	var buf bytes.Buffer
	WriteLimiter(&buf, got, time.Now())
	if !strings.Contains(buf.String(), "off") {
		t.Errorf("render: %s", buf.String())
	}
}

func TestWriteLimiter(t *testing.T) {
	now := time.Date(2026, 1, 2, 10, 30, 0, 0, time.UTC)
	s := adminapi.LimiterStatus{Enabled: true, Source: "daemon", Status: limiter.Status{
		Hour: limiter.WindowStatus{Start: now.Truncate(time.Hour), End: now.Truncate(time.Hour).Add(time.Hour), Series: 750, Limit: 1000, SeriesDropped: 3, RowsDropped: 12},
	}}
	var buf bytes.Buffer
	if err := WriteLimiter(&buf, s, now); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"75.0%", "30m0s", "none", "12"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("missing %q in\n%s", want, buf.String())
		}
	}
}
