//go:build linux

package real

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// placement checks proofs (1) and (2) once, over [start, end]:
//
//   - every series holding a number (not NaN) on some backend holds one on
//     exactly replica_factor backends, the ones `prws ring` names for it;
//   - every series a backend lists at all is one `prws ring` routes there.
//
// Series that only ever held NaN (e.g. summary quantiles without
// observations) are left out of the first count because VictoriaMetrics
// drops NaN samples on ingest. It also checks the `up` series of every
// scrape target arrived. The string explains a failure.
func (st *stack) placement(start, end time.Time) (bool, string) {
	listed := map[string][]int{}  // series key → backends listing it
	numbers := map[string][]int{} // series key → backends holding a number of it
	for i, b := range st.backends {
		set, err := seriesOn(b.base(), start, end)
		if err != nil {
			return false, err.Error()
		}
		for k := range set {
			listed[k] = append(listed[k], i)
		}
		ss, err := rawSamples(b.base(), `{__name__=~".+"}`, end, end.Sub(start))
		if err != nil {
			return false, err.Error()
		}
		for _, s := range ss {
			if s.numbers > 0 {
				numbers[s.key] = append(numbers[s.key], i)
			}
		}
	}
	for _, tg := range st.targets() {
		k := seriesKey(map[string]string{"__name__": "up", "job": tg[0], "instance": tg[1]})
		if len(numbers[k]) == 0 {
			return false, fmt.Sprintf("%s is on no backend", k)
		}
	}
	keys := slices.Sorted(maps.Keys(listed))
	routes, err := st.ring(keys)
	if err != nil {
		return false, err.Error()
	}
	var bad []string
	for _, k := range keys {
		want := slices.Sorted(slices.Values(routes[k]))
		if len(want) != st.rf {
			bad = append(bad, fmt.Sprintf("%s: ring names %s", k, st.names(want)))
		} else if got, ok := numbers[k]; ok && !slices.Equal(got, want) {
			bad = append(bad, fmt.Sprintf("%s has samples on %s, ring says %s", k, st.names(got), st.names(want)))
		} else if got := listed[k]; !isSubset(got, want) {
			bad = append(bad, fmt.Sprintf("%s listed on %s, ring says %s", k, st.names(got), st.names(want)))
		}
	}
	if len(bad) > 0 {
		return false, fmt.Sprintf("%d of %d series misplaced, e.g.\n  %s", len(bad), len(keys),
			strings.Join(bad[:min(len(bad), 10)], "\n  "))
	}
	return true, fmt.Sprintf("%d series (%d with numbers)", len(keys), len(numbers))
}

// isSubset reports whether every element of a is in b.
func isSubset(a, b []int) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// names lists backends by name for messages.
func (st *stack) names(idx []int) string {
	var n []string
	for _, i := range idx {
		n = append(n, st.backends[i].name)
	}
	return "[" + strings.Join(n, " ") + "]"
}

// gapCheck is the no-gap proof on one backend, once: every series of
// selector that was alive at from has raw samples at most maxGap apart from
// from through to, and one within maxGap of to. It returns how many series
// it checked; the string explains a failure.
func gapCheck(b *server, selector string, from, to time.Time, maxGap time.Duration) (int, bool, string) {
	ss, err := rawSamples(b.base(), selector, to, to.Sub(from))
	if err != nil {
		return 0, false, err.Error()
	}
	checked := 0
	var bad []string
	for _, s := range ss {
		if len(s.ts) == 0 || s.ts[0].Sub(from) > maxGap {
			continue // born inside the window
		}
		checked++
		if g, at := largestGap(append(s.ts, to)); g > maxGap {
			bad = append(bad, fmt.Sprintf("%s: %v without a sample before %s", s.key, g, at.Format("15:04:05.000")))
		}
	}
	if len(bad) > 0 {
		return checked, false, fmt.Sprintf("%s: %d of %d series have gaps, e.g.\n  %s", b.name, len(bad), checked,
			strings.Join(bad[:min(len(bad), 10)], "\n  "))
	}
	return checked, true, ""
}

// largestGap returns the longest interval between consecutive times and
// the time that ended it.
func largestGap(ts []time.Time) (time.Duration, time.Time) {
	var g time.Duration
	var at time.Time
	for i := 1; i < len(ts); i++ {
		if d := ts[i].Sub(ts[i-1]); d > g {
			g, at = d, ts[i]
		}
	}
	return g, at
}
