package replay

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/prws/prws/internal/backoff"
	"github.com/prws/prws/queue"
)

// Worker replays one queue (one backend shard) to its backend. Create
// with NewWorker, then Start once and Stop once; both are safe to call
// from any goroutine.
type Worker struct {
	ep        Endpoint // private copy, defaults applied
	ownClient bool     // ep.Client was built by NewWorker; Stop closes its idle connections
	urlErr    error    // non-nil when ep.URL does not parse; every send then fails
	local     bool     // ep.URL names this host (onThisHost)
	src       Source
	opts      Options
	m         shardMetrics
	log       *slog.Logger

	// Owned by the run goroutine.
	bo     *backoff.Backoff
	probed bool     // the backend accepted an empty request during this batch
	sp     splitter // the split of a refused batch
	body   []byte   // the batch body being split
	partV1 []byte   // snappy buffer of a part's 1.0 encoding
	wide   wideState

	lat     *minRTT       // round trips of the requests; shared with the lane workers
	retried *atomic.Int64 // failed attempts so far; shared with the lane workers

	mu      sync.Mutex // guards cancel, done, stopped, left
	cancel  context.CancelFunc
	done    chan struct{} // closed when run returns; nil before Start
	stopped bool
	left    *queue.Batch // in-flight batch run gave up on (its data dropped)

	finishOnce sync.Once // closes idle connections and logs the stop once
}

// NewWorker returns a worker that sends src's batches to ep. ep and opts
// are copied; neither is modified. It does no I/O but listing this
// host's network addresses when ep.URL names an IP address (onThisHost).
// It fails only with ErrNoDeadLetters, when opts.DeadLetters is nil.
func NewWorker(ep *Endpoint, src Source, opts Options) (*Worker, error) {
	if opts.DeadLetters == nil {
		return nil, ErrNoDeadLetters
	}
	e, own := ep.withDefaults()
	o := opts.withDefaults(e.Name)
	w := &Worker{
		ep: e, ownClient: own, src: src, opts: o,
		m:   o.Metrics.forShard(e.Name, o.Shard),
		log: o.Logger.With("backend", e.Name, "shard", o.Shard),
		bo:  o.backoff(), lat: &minRTT{}, retried: &atomic.Int64{},
		wide: wideState{keep: keepLanes, budget: o.Lanes},
	}
	if own {
		// Room for every lane's connection to stay open between batches.
		e.Client.Transport.(*http.Transport).MaxIdleConnsPerHost = max(o.MaxInFlight, http.DefaultMaxIdleConnsPerHost)
	}
	if _, err := url.ParseRequestURI(e.URL); err != nil {
		w.urlErr = fmt.Errorf("replay: invalid URL for backend %s", e.Name)
	}
	w.local = onThisHost(e.URL)
	w.m.setUp(o.State.Up())
	return w, nil
}

// Start launches the worker's goroutine and returns at once. Calls after
// the first, or after Stop, do nothing.
func (w *Worker) Start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil || w.stopped {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel, w.done = cancel, make(chan struct{})
	go w.run(ctx, w.done)
}

// Stop cancels the in-flight request or wait and waits for the worker to
// exit, or for ctx. The batch in flight, if any, stays unacknowledged in
// the queue and is sent again by the next start; it is logged and
// available from Left. Stop returns ctx's error, wrapped, when the worker
// did not exit in time (its goroutine then exits as soon as the Source or
// the HTTP client honours the cancellation); calling Stop again waits
// again. Stop before Start returns nil and makes Start a no-op.
func (w *Worker) Stop(ctx context.Context) error {
	w.mu.Lock()
	cancel, done := w.cancel, w.done
	w.stopped = true
	w.mu.Unlock()
	if done == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("replay: stop backend %s shard %d: %w", w.ep.Name, w.opts.Shard, ctx.Err())
	}
	w.finishOnce.Do(func() {
		if w.ownClient {
			w.ep.Client.CloseIdleConnections()
		}
		w.logStopped()
	})
	return nil
}

func (w *Worker) logStopped() {
	w.mu.Lock()
	left := w.left
	w.mu.Unlock()
	if left == nil {
		w.log.Info("replay worker stopped")
		return
	}
	w.log.Info("replay worker stopped; batch left unacknowledged for the next start",
		"first", left.First, "last", left.Last, "samples", left.Samples)
}

// Status returns the shared backend state's snapshot.
func (w *Worker) Status() Status { return w.opts.State.Status() }

// Left returns the bounds (First, Last, Tenant, Samples; no Body) of the
// batch the stopped worker left unacknowledged, and whether there was
// one. Meaningful after Stop returned nil.
func (w *Worker) Left() (queue.Batch, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.left == nil {
		return queue.Batch{}, false
	}
	return *w.left, true
}
