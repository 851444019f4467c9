//go:build linux

package real

import (
	"fmt"
	"testing"
	"time"
)

// scrapeInterval is the agent's; maxGap is the longest hole a 1-second
// series may show on a backend.
const (
	scrapeInterval = time.Second
	maxGap         = 3 * scrapeInterval
)

// TestRealServers runs the whole pipeline (Prometheus agent → prws → two
// Prometheus backends and VictoriaMetrics) with replica factor 1 and 2,
// restarts prws, takes one Prometheus backend down and back, then proves
// placement and continuity on what the backends hold.
func TestRealServers(t *testing.T) {
	paths := needBinaries(t, "prometheus", "victoria-metrics")
	b := bins{prometheus: paths[0], vm: paths[1], prws: prwsBinary(t)}
	for _, rf := range []int{1, 2} {
		t.Run(fmt.Sprintf("replica_factor=%d", rf), func(t *testing.T) {
			t.Parallel()
			st := startStack(t, b, 2, rf)
			from := st.waitFlowing(t)
			st.restartPrws(t)
			st.backendOutage(t, st.proms[0])
			to := time.Now()
			var summary string
			mustWait(t, 30*time.Second, "every series on exactly its ring backends", func() (bool, string) {
				var ok bool
				ok, summary = st.placement(st.started, time.Now())
				return ok, summary
			})
			t.Logf("placement as the ring says: %s", summary)
			st.checkNoGaps(t, from, to)
			st.checkNoDeadLetters(t)
			st.checkSenderSawNoFailure(t)
		})
	}
}

// waitFlowing waits until every target's `up` series reached a backend and
// returns a moment from which 1-second series are continuous.
func (st *stack) waitFlowing(t *testing.T) time.Time {
	t.Helper()
	mustWait(t, 60*time.Second, "the up series of every target on the backends", func() (bool, string) {
		for _, tg := range st.targets() {
			if ok, why := st.hasUp(tg[0], tg[1]); !ok {
				return false, why
			}
		}
		return true, ""
	})
	time.Sleep(2 * scrapeInterval)
	return time.Now()
}

// hasUp reports whether some backend holds up{job, instance}.
func (st *stack) hasUp(job, instance string) (bool, string) {
	key := seriesKey(map[string]string{"__name__": "up", "job": job, "instance": instance})
	for _, b := range st.backends {
		set, err := seriesOn(b.base(), st.started, time.Now())
		if err != nil {
			return false, err.Error()
		}
		if set[key] {
			return true, ""
		}
	}
	return false, key + " is on no backend yet"
}

// restartPrws stops prws with SIGTERM, leaves it down for 3 s while the
// agent retries, and starts it again on the same port and data dir.
func (st *stack) restartPrws(t *testing.T) {
	t.Helper()
	t.Logf("stopping prws")
	st.prws.stop(t, 30*time.Second)
	time.Sleep(3 * time.Second)
	st.prws.restart(t)
	t.Logf("prws restarted")
	time.Sleep(2 * scrapeInterval)
}

// backendOutage stops b for about 5 s, checks prws's backlog for it grows
// meanwhile, restarts it on the same port and data dir and waits until the
// backlog is drained.
func (st *stack) backendOutage(t *testing.T, b *server) {
	t.Helper()
	t.Logf("stopping %s", b.name)
	b.stop(t, 30*time.Second)
	down := time.Now()
	var first uint64
	mustWait(t, 15*time.Second, "a backlog for "+b.name, func() (bool, string) {
		n, err := st.pending(b)
		first = n
		return err == nil && n > 0, fmt.Sprint(n, err)
	})
	mustWait(t, 15*time.Second, "the backlog of "+b.name+" to grow", func() (bool, string) {
		n, err := st.pending(b)
		return err == nil && n > first, fmt.Sprintf("%d pending samples (first seen %d), %v", n, first, err)
	})
	time.Sleep(time.Until(down.Add(5 * time.Second)))
	b.restart(t)
	t.Logf("%s restarted", b.name)
	mustWait(t, 60*time.Second, "the backlog of "+b.name+" to drain", func() (bool, string) {
		n, err := st.pending(b)
		return err == nil && n == 0, fmt.Sprint(n, " pending samples ", err)
	})
	time.Sleep(2 * scrapeInterval)
}

// checkNoGaps proves continuity on every backend from before the prws
// restart to after the backend outage, for the agent's self-scrape and
// every target's `up`; on the backend that went down it must have checked
// some series.
func (st *stack) checkNoGaps(t *testing.T, from, to time.Time) {
	t.Helper()
	for _, b := range st.backends {
		total := 0
		for _, sel := range []string{`{job="agent"}`, `up`} {
			var n int
			mustWait(t, 30*time.Second, "no gaps on "+b.name, func() (bool, string) {
				var ok bool
				var why string
				n, ok, why = gapCheck(b, sel, from, to, maxGap)
				return ok, why
			})
			total += n
		}
		t.Logf("%s: %d series without a gap > %v over %v", b.name, total, maxGap, to.Sub(from).Round(time.Second))
		if b == st.proms[0] && total == 0 {
			t.Errorf("%s went down but holds no series to check for gaps", b.name)
		}
	}
}

// checkNoDeadLetters fails the test when a backend refused a batch for good.
func (st *stack) checkNoDeadLetters(t *testing.T) {
	t.Helper()
	qs, err := st.queues()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if q.DeadLetters != 0 {
			t.Errorf("%s shard %d: %d dead letters (last error %q)", q.Backend, q.Shard, q.DeadLetters, q.LastError)
		}
	}
}

// checkSenderSawNoFailure reads the agent's own remote-write counters from
// the backends: the prws restart must have made it retry, and nothing may
// have failed for good (a 4xx or a 429 would count there).
func (st *stack) checkSenderSawNoFailure(t *testing.T) {
	t.Helper()
	counter := func(name string) float64 {
		best, found := 0.0, false
		for _, b := range st.backends {
			v, ok, err := instantMax(b.base(), name+`{job="agent"}`)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				best, found = max(best, v), true
			}
		}
		if !found {
			t.Fatalf("%s of the agent is on no backend", name)
		}
		return best
	}
	if n := counter("prometheus_remote_storage_samples_failed_total"); n != 0 {
		t.Errorf("the agent failed to send %v samples for good", n)
	}
	if n := counter("prometheus_remote_storage_samples_retried_total"); n == 0 {
		t.Errorf("the agent never retried: the prws restart went unnoticed")
	} else {
		t.Logf("the agent retried %v samples across the prws restart, failed none", n)
	}
}
