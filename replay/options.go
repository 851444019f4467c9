package replay

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/internal/backoff"
	"github.com/prws/prws/queue"
)

// Source is where a worker reads its batches; *queue.Queue implements it.
// Only the worker calls it, from one goroutine.
type Source interface {
	// NextBatch blocks until a batch of at most maxSamples samples is
	// available or ctx is done. Batch.Body is valid until the next call.
	NextBatch(ctx context.Context, maxSamples int) (queue.Batch, error)
	// Ack marks b delivered.
	Ack(queue.Batch) error
	// SetSplit durably records s as the part of b (the batch in flight)
	// being sent, so that after a restart NextBatch returns b with
	// Batch.Split s (see queue.Queue.SetSplit).
	SetSplit(b queue.Batch, s queue.Split) error
}

// DeadLetterSink stores refused batches; *deadletter.Log implements it.
// Write must be durable when it returns nil and must not retain e.Body.
type DeadLetterSink interface {
	Write(e deadletter.Entry) error
}

// Defaults of Options, matching the daemon's flag defaults.
const (
	DefaultBatchSamples = 5000
	DefaultRetryTimes   = 3
	DefaultTenantHeader = "X-Scope-OrgID"
)

// Options configures a Worker. Every field but DeadLetters has a
// default, which NewWorker applies to a private copy.
type Options struct {
	// Shard is the shard this worker serves; a metric label.
	Shard int
	// BatchSamples caps the samples per request (--batch). Default 5000.
	// Larger batches cost fewer requests and more memory per worker.
	BatchSamples int
	// MaxInFlight is the most requests the worker has in flight at once
	// (--remote_write_max_in_flight); 0 or 1: one at a time. Above 1,
	// the worker reads up to that many batches at once while the
	// backend's answers take much longer than dividing a batch, and sends
	// what it read as lanes of disjoint series in parallel (wide.go);
	// each series stays in order. At most 64.
	MaxInFlight int
	// Lanes is the budget of queues, shared by every worker of the
	// process, that may send lanes at once (lanebudget.go). Nil: every
	// worker may.
	Lanes *LaneBudget
	// Host tells whether this host has CPU to spare (hostcpu.go). While
	// it has none, a worker whose backend runs on this host reads one
	// batch at a time. Nil: the host is never busy.
	Host *HostCPU
	// RetryTimes is how many consecutive failures mark the backend down
	// (--remote_write_retry_times). Default 3. Retries never stop.
	RetryTimes int
	// MinWait is the first retry wait (--remote_write_min_wait). Default
	// 200 ms. MaxWait caps the waits, default 30 s; RetryAfterMax caps a
	// server's Retry-After, default MaxWait.
	MinWait, MaxWait, RetryAfterMax time.Duration
	// TenantHeader carries a batch's tenant. Default "X-Scope-OrgID"
	// (Mimir, Cortex, Loki); Thanos Receive uses "THANOS-TENANT".
	TenantHeader string
	// State is the backend's shared health. Default: a private one, so
	// the health of the backend is then per shard.
	State *BackendState
	// Metrics default to an unregistered set.
	Metrics *Metrics
	// DeadLetters receives refused batches. Required: NewWorker returns
	// ErrNoDeadLetters without it, as a refused batch is acknowledged
	// only once it is stored there.
	DeadLetters DeadLetterSink
	// Logger defaults to discarding. The worker adds the backend and
	// shard attributes itself.
	Logger *slog.Logger
	// Rand feeds the backoff jitter (uniform in [0, 1)). Default
	// math/rand/v2.
	Rand func() float64
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// OnResult, if set, hears the outcome of every send attempt: true
	// when the backend answered (delivered or refused for good), false
	// when the attempt will be retried. The watchdog counts these like
	// probes. Called on the worker's goroutine; it must not block.
	OnResult func(ok bool)
	// Limiter is the backend's send-rate cap, shared by its shards
	// (ratelimit.go). Nil: unlimited.
	Limiter *SendLimiter
	// Sleep waits d or until ctx is done, returning ctx.Err() then.
	// Default a timer; tests record the waits instead.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o Options) withDefaults(name string) Options {
	if o.BatchSamples <= 0 {
		o.BatchSamples = DefaultBatchSamples
	}
	o.MaxInFlight = min(o.MaxInFlight, maxLanes)
	if o.RetryTimes <= 0 {
		o.RetryTimes = DefaultRetryTimes
	}
	if o.TenantHeader == "" {
		o.TenantHeader = DefaultTenantHeader
	}
	if o.State == nil {
		o.State = NewBackendState(name)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	return o
}

func (o Options) backoff() *backoff.Backoff {
	return backoff.New(backoff.Options{
		Min: o.MinWait, Max: o.MaxWait, RetryAfterMax: o.RetryAfterMax, Rand: o.Rand,
	})
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
