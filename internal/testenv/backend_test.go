package testenv

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

func body(t *testing.T, series string, ts ...int64) []byte {
	t.Helper()
	s := prompb.TimeSeries{Labels: []prompb.Label{{Name: "series", Value: series}, {Name: "__name__", Value: "m"}}}
	for _, v := range ts {
		s.Samples = append(s.Samples, prompb.Sample{Value: 1, Timestamp: v})
	}
	raw, err := (&prompb.WriteRequest{Timeseries: []prompb.TimeSeries{s}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, raw)
}

func TestBackendByLabels(t *testing.T) {
	b := NewBackend(t, BackendOptions{KeepHeaders: true})
	c := &http.Client{}
	if code, msg := PostWrite(c, b.URL(), body(t, "7", 1, 2), map[string]string{"X-Tenant": "a"}); code != http.StatusNoContent {
		t.Fatalf("answer %d %s", code, msg)
	}
	b.Fail(http.StatusServiceUnavailable)
	if code, _ := PostWrite(c, b.URL(), body(t, "9", 3), map[string]string{"X-Tenant": "b"}); code != http.StatusServiceUnavailable {
		t.Fatalf("answer %d, want 503", code)
	}
	got := b.Samples()
	key := `{__name__="m", series="7"}`
	if len(got) != 1 || len(got[key]) != 2 || got[key][0] != 1 || got[key][1] != 2 {
		t.Errorf("samples %v, want %s: [1 2]", got, key)
	}
	if b.SampleCount() != 2 || b.MaxSeries() != 7 || b.Requests() != 2 {
		t.Errorf("count %d, max series %d, requests %d; want 2, 7, 2", b.SampleCount(), b.MaxSeries(), b.Requests())
	}
	if b.FirstHeader("X-Tenant") != "a" || b.LastHeader("X-Tenant") != "b" {
		t.Errorf("headers %q, %q; want a, b", b.FirstHeader("X-Tenant"), b.LastHeader("X-Tenant"))
	}
}

func TestBackendKeyed(t *testing.T) {
	seriesOf := func(ls []prompb.Label) (uint32, bool) {
		n, err := strconv.Atoi(ls[0].Value)
		return uint32(n), err == nil
	}
	b := NewBackend(t, BackendOptions{SeriesOf: seriesOf, Base: 100})
	b.Track()
	c := &http.Client{}
	b.Set(Status(http.StatusTooManyRequests, "1"))
	PostWrite(c, b.URL(), body(t, "3", 105), nil)
	b.Set(nil)
	for _, req := range [][]int64{{105}, {106, 104}, {106}} {
		if code, msg := PostWrite(c, b.URL(), body(t, "3", req...), nil); code != http.StatusNoContent {
			t.Fatalf("answer %d %s", code, msg)
		}
	}
	if dup, regress := b.Stats(); dup != 1 || regress != 1 {
		t.Errorf("dup %d regress %d, want 1 1", dup, regress)
	}
	if !b.Has(SampleKey(3, 4)) || b.Has(SampleKey(3, 7)) {
		t.Error("Has: want sample 4 of series 3 and not sample 7")
	}
	if _, ok := b.FirstAt(SampleKey(3, 5)); !ok {
		t.Error("FirstAt: sample 5 of series 3 not tracked")
	}
	if failed, same := b.RetriedIdentically(); failed != 1 || same != 1 {
		t.Errorf("retried identically: %d of %d, want 1 of 1", same, failed)
	}
	if n := len(b.Attempts()); n != 3 {
		t.Errorf("%d distinct bodies attempted, want 3", n)
	}
	if codes := b.Codes(); codes[http.StatusTooManyRequests] != 1 || codes[http.StatusNoContent] != 3 {
		t.Errorf("codes %v", codes)
	}
}

func TestEchoHeaders(t *testing.T) {
	b := NewBackend(t, BackendOptions{})
	b.Set(EchoHeaders(http.StatusInternalServerError))
	code, msg := PostWrite(&http.Client{}, b.URL(), body(t, "1", 1), map[string]string{"Authorization": "Bearer s3cret"})
	if code != http.StatusInternalServerError || !strings.Contains(msg, "Authorization: Bearer s3cret") {
		t.Errorf("answer %d %q, want 500 echoing the Authorization header", code, msg)
	}
	if b.SampleCount() != 0 {
		t.Error("a refused request's samples were recorded")
	}
}
