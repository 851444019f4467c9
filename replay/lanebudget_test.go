package replay

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestLaneBudgetTakeAndGive(t *testing.T) {
	b := NewLaneBudget(2, nil)
	granted := 0
	for range 3 {
		if b.take() {
			granted++
		}
	}
	if granted != 2 {
		t.Fatalf("a budget of 2 granted %d of 3 shares", granted)
	}
	b.give()
	if b.Held() != 1 || !b.take() {
		t.Fatalf("a share given back was not free again; held %d", b.Held())
	}
	var unbounded *LaneBudget
	if !unbounded.take() || !NewLaneBudget(0, nil).take() {
		t.Fatal("a nil or zero budget refused a share")
	}
}

// TestLaneBudgetSharedByWorkers drains two queues behind slow backends
// with a budget of one share: the worker that takes it sends its batches
// as lanes and keeps the share while it holds the lanes' buffers; the
// other sends one batch at a time, counting the reads denied lanes; both
// deliver everything in order, and a stopped worker gives its share back.
func TestLaneBudgetSharedByWorkers(t *testing.T) {
	budget := NewLaneBudget(1, nil)
	var hs [2]*harness
	var js [2]*judge
	const rounds = 6
	var wg sync.WaitGroup
	for i := range hs {
		batches, keys := roundBatches(t, rounds, 60, 5, -1) // 300 samples a batch: 3 lanes of about 100
		js[i] = &judge{code: http.StatusBadRequest}
		be := newBackend(t)
		be.setFallback(slowJudge(js[i], 20*time.Millisecond))
		src := newFakeSource(batches...)
		hs[i] = newHarness(t, be, src, func(_ *Endpoint, o *Options) { o.MaxInFlight, o.Lanes = 4, budget })
		wg.Go(func() {
			src.waitAcks(t, len(batches))
			sameSet(t, "delivered", js[i].samples(), keys)
			inOrder(t, js[i])
		})
	}
	wg.Wait()
	var wide, denied [2]float64
	for i, h := range hs {
		wide[i] = h.metric(t, "prws_remote_lane_batches_total", nil)
		denied[i] = h.metric(t, "prws_remote_lane_reads_denied_total", nil)
	}
	if (wide[0] > 0) == (wide[1] > 0) || denied[0]+denied[1] == 0 {
		t.Fatalf("lane batches %v, reads denied lanes %v: want one worker wide, the other denied", wide, denied)
	}
	if budget.Held() != 1 {
		t.Fatalf("%d shares held after the drain; want the wide worker's, kept with its buffers", budget.Held())
	}
	narrow := 0
	if wide[0] > 0 {
		narrow = 1
	}
	if got := len(hs[narrow].be.requests()); got != rounds {
		t.Fatalf("the worker without a share sent %d requests for %d batches", got, rounds)
	}
	for _, h := range hs {
		if err := h.w.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if budget.Held() != 0 {
		t.Fatalf("%d shares held after both workers stopped", budget.Held())
	}
}
