package replay

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prws/prws/queue"
)

// A backend far away, or slow to answer, caps a worker that keeps one
// request in flight at --batch samples per round trip. So when even the
// backend's fastest recent answer took wideFactor times as long as
// dividing a batch into lanes takes (lanes.go, about divideCost a
// sample: 10 ms for 5000 samples), and going wide
// delivers faster (pace.go), the worker reads up to lanesPerSender ×
// MaxInFlight batches' worth of samples at once and, when that much is
// waiting, divides it into lanes of disjoint series, about a batch each,
// which MaxInFlight senders send in parallel, each taking the next lane
// when its last is settled. Each series is in one lane, and the next
// batch is read only when every lane of this one is settled, so every
// series stays in order.
const (
	wideFactor     = 10
	lanesPerSender = 2
	// divideCost is what dividing a batch costs per sample (decompress,
	// hash the labels, copy, compress; BenchmarkLaneDivide measures it at
	// 130-480 ns on a 2-core VM, by the labels per series). It is fixed
	// rather than measured: a wall clock measure swells whenever the
	// machine is busy, and a worker that stopped going wide would never
	// measure it again.
	divideCost = 200 * time.Nanosecond
)

// BatchesInFlight returns how many batches' worth of samples (--batch
// each) a queue sending with maxInFlight requests in flight may have in
// flight at once: the most a crash can make it send twice.
func BatchesInFlight(maxInFlight int) int {
	if maxInFlight <= 1 {
		return 1
	}
	return min(maxInFlight*lanesPerSender, maxLanes)
}

// wideState is the worker's state for sending batches as lanes. Owned by
// the run goroutine.
type wideState struct {
	div      laneDivider
	senders  []*Worker // lane workers, created on first use
	srcs     []*laneSource
	res      []Result
	pace     pacer
	mode     int           // of the batch in flight
	lastWide time.Time     // when the last batch went as lanes
	keep     time.Duration // keepLanes; shorter in tests
	budget   *LaneBudget   // Options.Lanes
	held     bool          // a share of budget is taken
}

// keepLanes is how long after its last batch sent as lanes a worker
// keeps the lanes' buffers: a queue going in and out of lanes as its
// backlog comes and goes reuses them rather than allocating some 20 MB
// each time; one that stays caught up frees them.
const keepLanes = 5 * time.Second

// narrowed notes a batch sent whole at now, and frees what going wide
// holds once the last batch sent as lanes is keepLanes old.
func (ws *wideState) narrowed(now time.Time) {
	if now.Sub(ws.lastWide) >= ws.keep {
		ws.drop()
	}
}

// nextBatch is the Source's NextBatch, except that a worker holding the
// lanes' buffers lets go of them once its last batch sent as lanes is
// keepLanes old while it waits: a queue idle after a drain keeps none of
// them.
func (w *Worker) nextBatch(ctx context.Context, limit int) (queue.Batch, error) {
	ws := &w.wide
	if ws.div.bodies == nil && !ws.held {
		return w.src.NextBatch(ctx, limit)
	}
	wctx, cancel := context.WithTimeout(ctx, ws.keep-w.opts.Now().Sub(ws.lastWide))
	b, err := w.src.NextBatch(wctx, limit)
	cancel()
	if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
		return b, err
	}
	ws.drop()
	return w.src.NextBatch(ctx, limit)
}

// lanesOf returns how many lanes b is sent as (lanesFor), one when it is
// not resuming a lane split and either the host is busy (hostBusy) or the
// worker holds no share of the lane budget and none is free.
func (w *Worker) lanesOf(b *queue.Batch) (int, error) {
	n, err := lanesFor(b, w.opts.BatchSamples, max(w.opts.MaxInFlight, 1))
	if err == nil && n > 1 && b.Split.IsZero() && (w.hostBusy() || !w.wide.share()) {
		n = 1
	}
	return n, err
}

// hostBusy reports whether the backend runs on this host and the host has
// no idle CPU (HostCPU): lanes would then take the CPU the backend and
// ingest need.
func (w *Worker) hostBusy() bool { return w.local && w.opts.Host.Busy() }

// share reports whether the worker holds a share of the lane budget,
// taking one if it is free.
func (ws *wideState) share() bool {
	if !ws.held {
		ws.held = ws.budget.take()
	}
	return ws.held
}

// drop frees what going wide holds, once the worker is back to one batch
// at a time (a caught-up queue keeps none of it) or stops: the lanes'
// buffers, the senders' protocol buffers and the share of the lane
// budget. The senders themselves are kept.
func (ws *wideState) drop() {
	if ws.held {
		ws.budget.give()
		ws.held = false
	}
	if ws.div.bodies == nil {
		return
	}
	ws.div = laneDivider{}
	for _, s := range ws.senders {
		s.ep.wire.forget()
		s.body, s.partV1, s.sp = nil, nil, splitter{}
	}
}

// batchLimit is the most samples the next batch may hold: enough for
// lanesPerSender lanes per sender when the pacer goes wide, which it may
// once even the backend's fastest recent answer (minRTT) took wideFactor
// times what dividing a batch costs, the backend is not on this host while
// the host has no idle CPU (HostCPU), and the worker holds a share of the
// lane budget, else one batch.
func (w *Worker) batchLimit() int {
	ws, n := &w.wide, w.opts.BatchSamples
	canWide := w.opts.MaxInFlight > 1 && w.lat.value() >= wideFactor*divideCost*time.Duration(n)
	mode := ws.pace.choose(canWide)
	if mode == wide && w.hostBusy() {
		w.m.laneLocal.Inc()
		mode = narrow
	}
	if mode == wide && !ws.share() {
		w.m.laneDenied.Inc()
		mode = narrow
	}
	if mode != ws.mode {
		w.log.Debug("reading mode changed", "lanes", mode == wide, "backend_min_rtt", w.lat.value(),
			"rate_one_batch", ws.pace.rate[narrow], "rate_lanes", ws.pace.rate[wide])
	}
	ws.mode = mode
	if mode == wide {
		return n * BatchesInFlight(w.opts.MaxInFlight)
	}
	return n
}

// paced notes how long batch b, read at the last batchLimit, took from
// read to acknowledgement, and whether the queue is behind enough to go
// wide (pacer.record): read narrow, when a whole wide read's worth
// waited behind b; read wide, when anything did.
func (w *Worker) paced(b *queue.Batch, took time.Duration) {
	ws := &w.wide
	backlog := b.More
	if ws.mode == narrow {
		deep := w.opts.BatchSamples * BatchesInFlight(w.opts.MaxInFlight)
		backlog = b.More && b.Waiting >= uint64(deep)
	}
	ws.pace.record(ws.mode, b.Samples, b.More, backlog, took)
}

// deliverBatch delivers b, as one request or, when it holds more than
// one batch's worth of samples, the host is not busy for its backend
// (hostBusy) and the worker holds a share of the lane budget, or when it
// resumes the split of a lane, as lanes in parallel.
// (A batch read narrow holds more than a batch when one record does; it
// goes whole without a share, as with MaxInFlight 1.) It returns false,
// leaving b unacknowledged, when ctx ends first or the queue is closed.
func (w *Worker) deliverBatch(ctx context.Context, b queue.Batch) bool {
	if !b.Split.IsZero() && b.Split.Lanes == 0 {
		return w.deliver(ctx, b)
	}
	n, err := w.lanesOf(&b)
	if err != nil {
		w.log.Warn("split position does not fit the batch; sending it again whole", "err", err)
		b.Split, n = queue.Split{}, 1
	}
	if n <= 1 {
		w.wide.narrowed(w.opts.Now())
		return w.deliver(ctx, b)
	}
	w.wide.lastWide = w.opts.Now()
	parts, err := w.wide.div.divide(&b, n)
	if err != nil {
		w.log.Warn("batch does not divide into lanes; sending it whole", "err", err)
		b.Split = queue.Split{}
		return w.deliver(ctx, b)
	}
	defer w.wide.div.release()
	w.m.wide.Inc()
	return w.deliverLanes(ctx, b, parts)
}

// deliverLanes sends the lanes parts of b in parallel, then splits the
// refused ones one after the other, in lane order, and acknowledges b.
// A batch resuming the split of lane k finishes that split first; lanes
// before k were settled before the restart, lanes after it are sent
// again.
func (w *Worker) deliverLanes(ctx context.Context, b queue.Batch, parts []queue.Batch) bool {
	senders := w.laneSenders(&b, len(parts))
	w.wide.div.blocksFor(len(senders))
	from := 0
	if sp := b.Split; sp.Lanes != 0 {
		k := int(sp.Lane)
		w.log.Info("resuming the split of a refused lane", "first", b.First, "last", b.Last,
			"lane", k, "lanes", len(parts))
		w.wide.div.encode(k, 0)
		p := parts[k]
		p.Split = queue.Split{Lo: sp.Lo, Hi: sp.Hi, SampleLo: sp.SampleLo, SampleHi: sp.SampleHi}
		if !w.splitLane(ctx, k, p, Result{}) {
			return false
		}
		from = k + 1
	}
	res, ok := w.sendLanes(ctx, senders, parts, from)
	if !ok {
		return false
	}
	for l := from; l < len(parts); l++ {
		if res[l].Verdict == Delivered {
			continue
		}
		w.wide.div.encode(l, 0) // its block went to the sender's next lane
		if !w.splitLane(ctx, l, parts[l], res[l]) {
			return false
		}
	}
	return w.ack(ctx, b)
}

// splitLane splits part, lane l refused with first (zero when resuming),
// with the first sender, its splits recorded as lane l's.
func (w *Worker) splitLane(ctx context.Context, l int, part queue.Batch, first Result) bool {
	w.wide.srcs[0].lane = l
	return w.wide.senders[0].split(ctx, part, first)
}

// sendLanes sends lanes from.. of parts with the senders in parallel,
// each taking the next lane not taken yet, until each lane is delivered
// or refused; res[l] is lane l's answer. A lane with only metadata copies
// is not sent. ok is false when ctx ended first.
func (w *Worker) sendLanes(ctx context.Context, senders []*Worker, parts []queue.Batch, from int) (res []Result, ok bool) {
	ws := &w.wide
	ws.res = append(ws.res[:0], make([]Result, len(parts))...)
	var next atomic.Int64
	next.Store(int64(from))
	var stopped atomic.Bool
	var wg sync.WaitGroup
	for i, s := range senders {
		wg.Go(func() {
			for l := int(next.Add(1) - 1); l < len(parts) && !stopped.Load(); l = int(next.Add(1) - 1) {
				if !ws.div.hasEntries(l) {
					ws.res[l] = Result{Verdict: Delivered}
					continue
				}
				ws.div.encode(l, i)
				var ok bool
				if ws.res[l], ok = s.send(ctx, &parts[l]); !ok {
					stopped.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return ws.res, !stopped.Load()
}

// laneSenders returns the senders for batch b of n lanes, creating the
// missing ones: MaxInFlight of them, at most n. A sender shares the
// worker's endpoint settings, HTTP client, options and latency; it has
// its own protocol state, backoff and split, and its Source records a
// split with its lane and leaves the acknowledgement to the worker.
func (w *Worker) laneSenders(b *queue.Batch, n int) []*Worker {
	ws := &w.wide
	k := min(max(w.opts.MaxInFlight, 1), n)
	for len(ws.senders) < k {
		src := &laneSource{src: w.src}
		ep := w.ep
		lw, _ := NewWorker(&ep, src, w.opts)                 // DeadLetters is set: no error
		lw.lat, lw.retried, lw.log = w.lat, w.retried, w.log // one logger: its rate limit covers every lane
		ws.senders, ws.srcs = append(ws.senders, lw), append(ws.srcs, src)
	}
	for _, s := range ws.srcs {
		s.batch, s.lanes = *b, n
	}
	return ws.senders[:k]
}

// laneSource is a lane sender's Source: SetSplit records the split of
// lane lane of lanes in the queue against the whole batch, and Ack does
// nothing, as the batch is acknowledged once every lane is settled. Its
// fields are set by the run goroutine between uses.
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

// minRTT is the shortest round trip among the last minWindow to
// 2·minWindow requests, safe for concurrent use. The shortest, not the
// average: a backend far away never answers faster than the distance
// allows, while one on the same busy cores answers fast whenever it gets
// the CPU, so busy spells do not make it look far.
type minRTT struct {
	mu        sync.Mutex // guards every field
	prev, cur time.Duration
	n         int // observations in cur
}

// minWindow is how many requests a minRTT window spans.
const minWindow = 64

// observe adds the round trip d.
func (m *minRTT) observe(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == 0 || d < m.cur {
		m.cur = d
	}
	if m.n++; m.n == minWindow {
		m.prev, m.n = m.cur, 0
	}
}

// value returns the shortest round trip of the last window and the one
// being filled; zero before the first observation.
func (m *minRTT) value() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.prev == 0:
		return m.cur
	case m.n == 0:
		return m.prev
	}
	return min(m.prev, m.cur)
}
