package replay

import (
	"context"
	"sync"
	"time"

	"github.com/prws/prws/queue"
)

// A backend far away, or slow to answer, caps a worker that keeps one
// request in flight at --batch samples per round trip. So when the
// backend's answers take wideFactor times as long as dividing a batch
// into lanes would (lanes.go), the worker reads up to MaxInFlight
// batches' worth of samples at once and, when that much is waiting,
// sends it as that many lanes of disjoint series in parallel; each series
// is in one lane, and the next batch starts only when every lane of this
// one is settled, so every series stays in order.
const (
	wideFactor = 4
	// prepGuess is the time per sample dividing a batch is taken to cost
	// until one was measured (decompress, hash the labels, compress).
	prepGuess = 150 * time.Nanosecond
)

// wideState is the worker's state for sending batches as lanes. Owned by
// the run goroutine.
type wideState struct {
	div   laneDivider
	lanes []*Worker // lane workers, created on first use
	srcs  []*laneSource
	res   []Result
	oks   []bool
	prep  ewmaDuration // per sample, dividing a batch
}

// batchLimit is the most samples the next batch may hold: MaxInFlight
// batches when going wide pays off (see wideFactor), else one.
func (w *Worker) batchLimit() int {
	n := w.opts.BatchSamples
	if w.opts.MaxInFlight <= 1 {
		return n
	}
	prep := w.wide.prep.valueOr(prepGuess) * time.Duration(n)
	if w.lat.value() < wideFactor*prep {
		return n
	}
	return n * w.opts.MaxInFlight
}

// deliverBatch delivers b, as one request or, when it holds more than
// one batch's worth of samples or resumes the split of a lane, as lanes
// in parallel. It returns false, leaving b unacknowledged, when ctx ends
// first or the queue is closed.
func (w *Worker) deliverBatch(ctx context.Context, b queue.Batch) bool {
	if !b.Split.IsZero() && b.Split.Lanes == 0 {
		return w.deliver(ctx, b)
	}
	n, err := lanesFor(&b, w.opts.BatchSamples, max(w.opts.MaxInFlight, 1))
	if err != nil {
		w.log.Warn("split position does not fit the batch; sending it again whole", "err", err)
		b.Split, n = queue.Split{}, 1
	}
	if n <= 1 {
		return w.deliver(ctx, b)
	}
	start := w.opts.Now()
	parts, err := w.wide.div.divide(&b, n)
	if err != nil {
		w.log.Warn("batch does not divide into lanes; sending it whole", "err", err)
		b.Split = queue.Split{}
		return w.deliver(ctx, b)
	}
	defer w.wide.div.release()
	w.wide.prep.observe(w.opts.Now().Sub(start) / time.Duration(max(b.Samples, 1)))
	return w.deliverLanes(ctx, b, parts)
}

// deliverLanes sends the lanes parts of b in parallel, then splits the
// refused ones one after the other, in lane order, and acknowledges b.
// A batch resuming the split of lane k finishes that split first; lanes
// before k were settled before the restart, lanes after it are sent
// again.
func (w *Worker) deliverLanes(ctx context.Context, b queue.Batch, parts []queue.Batch) bool {
	lanes := w.laneWorkers(&b, len(parts))
	from := 0
	if sp := b.Split; sp.Lanes != 0 {
		k := int(sp.Lane)
		w.log.Info("resuming the split of a refused lane", "first", b.First, "last", b.Last,
			"lane", k, "lanes", len(parts))
		p := parts[k]
		p.Split = queue.Split{Lo: sp.Lo, Hi: sp.Hi, SampleLo: sp.SampleLo, SampleHi: sp.SampleHi}
		if !lanes[k].split(ctx, p, Result{}) {
			return false
		}
		from = k + 1
	}
	res, ok := w.sendLanes(ctx, lanes[from:], parts[from:])
	if !ok {
		return false
	}
	for i, r := range res {
		if r.Verdict != Delivered && !lanes[from+i].split(ctx, parts[from+i], r) {
			return false
		}
	}
	return w.ack(ctx, b)
}

// sendLanes sends each part with its lane worker, all at once, until each
// is delivered or refused. A part without series (its lane got only
// metadata copies) is not sent. ok is false when ctx ended first.
func (w *Worker) sendLanes(ctx context.Context, lanes []*Worker, parts []queue.Batch) ([]Result, bool) {
	ws := &w.wide
	ws.res = append(ws.res[:0], make([]Result, len(parts))...)
	ws.oks = append(ws.oks[:0], make([]bool, len(parts))...)
	var wg sync.WaitGroup
	for i := range parts {
		if !ws.div.hasEntries(i) {
			ws.res[i], ws.oks[i] = Result{Verdict: Delivered}, true
			continue
		}
		wg.Go(func() { ws.res[i], ws.oks[i] = lanes[i].send(ctx, &parts[i]) })
	}
	wg.Wait()
	for _, ok := range ws.oks {
		if !ok {
			return nil, false
		}
	}
	return ws.res, true
}

// laneWorkers returns n lane workers set up for batch b, creating the
// missing ones. A lane worker shares the worker's endpoint settings,
// HTTP client, options and latency; it has its own protocol state,
// backoff and split, and its Source records a split with its lane and
// leaves the acknowledgement to the worker.
func (w *Worker) laneWorkers(b *queue.Batch, n int) []*Worker {
	ws := &w.wide
	for len(ws.lanes) < n {
		i := len(ws.lanes)
		src := &laneSource{src: w.src, lane: i}
		ep := w.ep
		lw, _ := NewWorker(&ep, src, w.opts) // DeadLetters is set: no error
		lw.lat, lw.log = w.lat, w.log // one logger: its rate limit covers every lane
		ws.lanes, ws.srcs = append(ws.lanes, lw), append(ws.srcs, src)
	}
	for _, s := range ws.srcs[:n] {
		s.batch, s.lanes = *b, n
	}
	return ws.lanes[:n]
}

// laneSource is a lane worker's Source: SetSplit records the split of
// its lane in the queue against the whole batch, and Ack does nothing,
// as the batch is acknowledged once every lane is settled.
type laneSource struct {
	src         Source
	batch       queue.Batch // the whole batch in flight
	lane, lanes int
}

func (s *laneSource) NextBatch(context.Context, int) (queue.Batch, error) {
	return queue.Batch{}, queue.ErrClosed // a lane worker never reads
}

func (s *laneSource) Ack(queue.Batch) error { return nil }

func (s *laneSource) SetSplit(_ queue.Batch, sp queue.Split) error {
	sp.Lane, sp.Lanes = uint16(s.lane), uint16(s.lanes)
	return s.src.SetSplit(s.batch, sp)
}

// ewmaDuration is an exponentially weighted moving average of durations,
// safe for concurrent use.
type ewmaDuration struct {
	mu  sync.Mutex
	avg time.Duration
	n   int
}

// observe adds d; the first observations weigh more, so the average
// settles within a few.
func (e *ewmaDuration) observe(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n = min(e.n+1, 8)
	e.avg += (d - e.avg) / time.Duration(e.n)
}

// value returns the average, zero before the first observation.
func (e *ewmaDuration) value() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.avg
}

// valueOr returns the average, or guess before the first observation.
func (e *ewmaDuration) valueOr(guess time.Duration) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == 0 {
		return guess
	}
	return e.avg
}
