package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/internal/testenv"
)

// TestBackendOutage: one backend refuses with 503; its queue grows while
// the other backend keeps receiving; when it comes back the backlog drains
// and every series arrives exactly once per replica.
func TestBackendOutage(t *testing.T) {
	a, b := newRecorder(t), newRecorder(t)
	in := start(t, testConfig(t, t.TempDir(), a, b))
	b.Fail(http.StatusServiceUnavailable)

	const total, per = 20_000, 1_000
	for from := 0; from < total; from += per {
		if code, msg := post(t, in.url, encode(t, testenv.NodeSeries(from, per, 1000)), nil); code != http.StatusNoContent {
			t.Fatalf("write during outage: %d %s", code, msg)
		}
	}
	testenv.Eventually(t, 30*time.Second, "healthy backend to receive its share", func() bool {
		return a.SampleCount() > total/2-total/20
	})
	pending := pendingSamples(in.d.Queues(), b)
	if pending == 0 || b.SampleCount() != 0 {
		t.Fatalf("down backend: %d pending, %d delivered; want backlog and nothing delivered", pending, b.SampleCount())
	}
	// a may still be sending the last of its share: every series is
	// either delivered to a or pending for b once a is done.
	testenv.Eventually(t, 30*time.Second, "pending + delivered == total", func() bool {
		return int(pendingSamples(in.d.Queues(), b))+a.SampleCount() == total
	})

	b.Fail(0)
	testenv.Eventually(t, 30*time.Second, "backlog to drain", func() bool {
		return a.SampleCount()+b.SampleCount() == total
	})
	testenv.Eventually(t, 10*time.Second, "queues to report empty", func() bool {
		return pendingSamples(in.d.Queues(), b) == 0
	})
	checkReplicas(t, total, 1, a.Samples(), b.Samples())
}

// pendingSamples sums the pending samples of r's queues.
func pendingSamples(qs []adminapi.QueueStatus, r *testenv.Backend) uint64 {
	var n uint64
	for _, q := range qs {
		if q.Backend == r.URL() {
			n += q.PendingSamples
		}
	}
	return n
}
