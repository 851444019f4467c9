package readback

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/tsdb/record"
	"github.com/prometheus/prometheus/tsdb/wlog"
)

// stored is what a backend holds for one input, read back through
// Prometheus, as text that compares bit for bit: per series (its labels,
// __type__ and __unit__ included) its samples and histograms with
// timestamps and start timestamps, its exemplars, and its metadata.
type stored struct {
	series map[string]*storedSeries
}

type storedSeries struct {
	ls        labels.Labels
	points    []string
	exemplars []string
	meta      string // "type unit help" from the WAL; "" for none
}

// counts summarises a stored for the report.
type counts struct {
	series, floats, histograms, exemplars int
	zeroAtStart, withST                   int // zero samples at a start time; points carrying their start timestamp
	metaFamilies                          int // data set families with metadata stored on a series
	metaSeries, familySeries              int // series with metadata stored, of those of the families
}

// readBack reads what b holds for input through the querier and the
// exemplar querier. The tsdb must be open.
func readBack(t *testing.T, b *backend, input string, base int64) *stored {
	t.Helper()
	out := &stored{series: map[string]*storedSeries{}}
	m := labels.MustNewMatcher(labels.MatchEqual, "input", input)
	q, err := b.db.Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ss := q.Select(context.Background(), true, nil, m)
	for ss.Next() {
		s := ss.At()
		one := &storedSeries{ls: s.Labels()}
		it := s.Iterator(nil)
		for vt := it.Next(); vt != chunkenc.ValNone; vt = it.Next() {
			one.points = append(one.points, point2text(it, vt, base))
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		out.series[s.Labels().String()] = one
	}
	if err := ss.Err(); err != nil {
		t.Fatal(err)
	}
	readExemplars(t, b, m, out)
	return out
}

// point2text renders the iterator's current point.
func point2text(it chunkenc.Iterator, vt chunkenc.ValueType, base int64) string {
	st := it.AtST()
	if st != 0 {
		st -= base
	}
	switch vt {
	case chunkenc.ValHistogram:
		ts, h := it.AtHistogram(nil)
		return fmt.Sprintf("t=%d st=%d %s", ts-base, st, histText(h.ToFloat(nil), h.CounterResetHint))
	case chunkenc.ValFloatHistogram:
		ts, fh := it.AtFloatHistogram(nil)
		return fmt.Sprintf("t=%d st=%d float %s", ts-base, st, histText(fh, fh.CounterResetHint))
	}
	ts, v := it.At()
	return fmt.Sprintf("t=%d st=%d v=%016x", ts-base, st, math.Float64bits(v))
}

// histText renders every field of a histogram, floats by their bits.
func histText(h *histogram.FloatHistogram, hint histogram.CounterResetHint) string {
	return fmt.Sprintf("hist{hint=%d schema=%d zt=%x zc=%x count=%x sum=%x pos=%v %v neg=%v %v cv=%v}",
		hint, h.Schema, math.Float64bits(h.ZeroThreshold), math.Float64bits(h.ZeroCount), math.Float64bits(h.Count),
		math.Float64bits(h.Sum), h.PositiveSpans, h.PositiveBuckets, h.NegativeSpans, h.NegativeBuckets, h.CustomValues)
}

// readExemplars adds the exemplars of the series m selects.
func readExemplars(t *testing.T, b *backend, m *labels.Matcher, out *stored) {
	t.Helper()
	eq, err := b.db.ExemplarQuerier(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := eq.Select(math.MinInt64, math.MaxInt64, []*labels.Matcher{m})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		s := out.series[r.SeriesLabels.String()]
		if s == nil {
			s = &storedSeries{ls: r.SeriesLabels}
			out.series[r.SeriesLabels.String()] = s
		}
		for _, e := range r.Exemplars {
			s.exemplars = append(s.exemplars, fmt.Sprintf("%s v=%016x t=%d", e.Labels, math.Float64bits(e.Value), e.Ts))
		}
	}
}

// readMetadata adds the metadata the WAL of a closed backend holds for
// the series of out (the latest record of each).
func readMetadata(t *testing.T, b *backend, out *stored) {
	t.Helper()
	sr, err := wlog.NewSegmentsReader(filepath.Join(b.dir, "wal"))
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	dec := record.NewDecoder(labels.NewSymbolTable(), nil)
	names := map[chunks.HeadSeriesRef]string{}
	r := wlog.NewReader(sr)
	for r.Next() {
		rec := r.Record()
		switch dec.Type(rec) {
		case record.Series:
			ss, err := dec.Series(rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range ss {
				names[s.Ref] = s.Labels.String()
			}
		case record.Metadata:
			ms, err := dec.Metadata(rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				if s := out.series[names[m.Ref]]; s != nil {
					s.meta = fmt.Sprintf("%s %q %q", record.ToMetricType(m.Type), m.Unit, m.Help)
				}
			}
		}
	}
	if err := r.Err(); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

// diff lists the differences between want and got, at most a few.
func diff(want, got *stored) []string {
	var out []string
	keys := map[string]bool{}
	for k := range want.series {
		keys[k] = true
	}
	for k := range got.series {
		keys[k] = true
	}
	sorted := slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range sorted {
		w, g := want.series[k], got.series[k]
		switch {
		case w == nil:
			out = append(out, "unexpected series "+k)
		case g == nil:
			out = append(out, "missing series "+k)
		case !slices.Equal(w.points, g.points):
			out = append(out, fmt.Sprintf("%s points:\n  want %q\n   got %q", k, w.points, g.points))
		case !slices.Equal(w.exemplars, g.exemplars):
			out = append(out, fmt.Sprintf("%s exemplars:\n  want %q\n   got %q", k, w.exemplars, g.exemplars))
		case w.meta != g.meta:
			out = append(out, fmt.Sprintf("%s metadata: want %q got %q", k, w.meta, g.meta))
		}
		if len(out) >= 12 {
			break
		}
	}
	return out
}

// count summarises s; stRel is the data set's start time relative to
// base.
func (s *stored) count(stRel int64) counts {
	var c counts
	withMeta := map[string]bool{}
	zero := fmt.Sprintf("t=%d ", stRel)
	for k, one := range s.series {
		c.series++
		for _, p := range one.points {
			switch {
			case strings.Contains(p, "hist{"):
				c.histograms++
			default:
				c.floats++
			}
			if strings.HasPrefix(p, zero) {
				c.zeroAtStart++
			}
			if !strings.Contains(p, " st=0 ") {
				c.withST++
			}
		}
		c.exemplars += len(one.exemplars)
		for f := range families {
			if strings.Contains(k, fmt.Sprintf("__name__=%q", f)) || strings.Contains(k, fmt.Sprintf("{%q", f)) {
				c.familySeries++
				if one.meta != "" {
					withMeta[f] = true
					c.metaSeries++
				}
			}
		}
	}
	c.metaFamilies = len(withMeta)
	return c
}
