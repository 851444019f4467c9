//go:build linux

package real

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// apiResponse is the envelope of the Prometheus HTTP API, which
// VictoriaMetrics speaks too.
type apiResponse struct {
	Status string          `json:"status"`
	Data   json.RawMessage `json:"data"`
	Error  string          `json:"error"`
}

// apiGet calls base+path?q and decodes the envelope's data into v.
func apiGet(base, path string, q url.Values, v any) error {
	resp, err := httpc.Get(base + path + "?" + q.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("%s%s: %s: %.200s", base, path, resp.Status, body)
	}
	if r.Status != "success" {
		return fmt.Errorf("%s%s: %s: %s", base, path, resp.Status, r.Error)
	}
	return json.Unmarshal(r.Data, v)
}

// apiTime formats t for the API's time parameters.
func apiTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

// seriesOn returns the series base holds with samples in [start, end],
// keyed by seriesKey.
func seriesOn(base string, start, end time.Time) (map[string]bool, error) {
	q := url.Values{"match[]": {`{__name__=~".+"}`}, "start": {apiTime(start)}, "end": {apiTime(end)}}
	var list []map[string]string
	if err := apiGet(base, "/api/v1/series", q, &list); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(list))
	for _, ls := range list {
		out[seriesKey(ls)] = true
	}
	return out, nil
}

// samples is one series' raw sample timestamps, oldest first.
type samples struct {
	key     string
	ts      []time.Time
	numbers int // samples whose value is not NaN
}

// rawSamples returns the raw samples of selector in (at-window, at] by
// an instant query of a range selector (stale markers are left out).
func rawSamples(base, selector string, at time.Time, window time.Duration) ([]samples, error) {
	q := url.Values{"query": {fmt.Sprintf("%s[%dms]", selector, window.Milliseconds())}, "time": {apiTime(at)}}
	var m struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		} `json:"result"`
	}
	if err := apiGet(base, "/api/v1/query", q, &m); err != nil {
		return nil, err
	}
	if m.ResultType != "matrix" {
		return nil, fmt.Errorf("%s: result type %q, want matrix", base, m.ResultType)
	}
	out := make([]samples, 0, len(m.Result))
	for _, r := range m.Result {
		s := samples{key: seriesKey(r.Metric)}
		for _, v := range r.Values {
			sec, _ := v[0].(float64)
			s.ts = append(s.ts, time.UnixMilli(int64(sec*1000+0.5)))
			if val, _ := v[1].(string); val != "NaN" {
				s.numbers++
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// seriesKey writes labels as `name{a="b",...}` with sorted label names and
// Go-quoted values: the form `prws ring` reads.
func seriesKey(ls map[string]string) string {
	names := make([]string, 0, len(ls))
	for n := range ls {
		if n != "__name__" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(ls["__name__"])
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n + "=" + strconv.Quote(ls[n]))
	}
	b.WriteByte('}')
	return b.String()
}

// instantMax evaluates max(expr) at now on base and returns the value and
// whether there was one.
func instantMax(base, expr string) (float64, bool, error) {
	q := url.Values{"query": {"max(" + expr + ")"}}
	var v struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	}
	if err := apiGet(base, "/api/v1/query", q, &v); err != nil {
		return 0, false, err
	}
	if len(v.Result) == 0 {
		return 0, false, nil
	}
	s, _ := v.Result[0].Value[1].(string)
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil, err
}
