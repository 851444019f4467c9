package e2e

import (
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/prws/prws/internal/testenv"
)

// TestDeliverAll sends 100 000 series through two backends and checks
// every series arrives on exactly replica_factor backends, evenly split.
func TestDeliverAll(t *testing.T) {
	for _, rf := range []int{1, 2} {
		t.Run(fmt.Sprintf("replica_factor=%d", rf), func(t *testing.T) {
			a, b := newRecorder(t), newRecorder(t)
			cfg := testConfig(t, t.TempDir(), a, b)
			cfg.ReplicaFactor = rf
			in := start(t, cfg)
			const total, per = 100_000, 2_000
			for from := 0; from < total; from += per {
				if code, msg := post(t, in.url, encode(t, testenv.NodeSeries(from, per, 1000)), nil); code != http.StatusNoContent {
					t.Fatalf("write: %d %s", code, msg)
				}
			}
			testenv.Eventually(t, 60*time.Second, "all samples delivered", func() bool {
				return a.SampleCount()+b.SampleCount() >= total*rf
			})
			sa, sb := a.Samples(), b.Samples()
			checkReplicas(t, total, rf, sa, sb)
			if rf == 1 {
				share := float64(len(sa)) / total
				if math.Abs(share-0.5) > 0.05*0.5 {
					t.Errorf("backend a got %.3f of the series, want 0.5 ± 5%%", share)
				}
			}
		})
	}
}

// checkReplicas asserts each series is on exactly rf backends, once each.
func checkReplicas(t *testing.T, total, rf int, backends ...map[string][]int64) {
	t.Helper()
	count := map[string]int{}
	for _, b := range backends {
		for k, ts := range b {
			if len(ts) != 1 {
				t.Fatalf("series %s has %d samples on one backend, want 1", k, len(ts))
			}
			count[k]++
		}
	}
	if len(count) != total {
		t.Fatalf("%d distinct series delivered, want %d", len(count), total)
	}
	for k, n := range count {
		if n != rf {
			t.Fatalf("series %s on %d backends, want %d", k, n, rf)
		}
	}
}
