package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/config"
	"github.com/prws/prws/dataops"
	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/ingest"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/internal/fsutil"
	"github.com/prws/prws/internal/logthrottle"
	"github.com/prws/prws/internal/redact"
	"github.com/prws/prws/queue"
	"github.com/prws/prws/replay"
	"github.com/prws/prws/store"
	"github.com/prws/prws/watchdog"
)

// shardQueue is one open queue and the worker that drains it.
type shardQueue struct {
	shard  int
	q      *queue.Queue
	w      atomic.Pointer[replay.Worker] // replaced by a reload that changes the backend's connection
	routed bool                          // shard < --shard: receives new data
}

// backendSink is everything prws holds for one backend: its queues and
// their workers, dead letters and send health. A sink lives from the
// moment the backend is first configured until Shutdown, across reloads
// (a removed backend's sink keeps draining; see reload.go).
type backendSink struct {
	backend config.Backend // as first opened; only ID is used after a reload
	queues  []*shardQueue  // sorted by shard; routed ones are 0..shards-1; fixed after open
	dead    *deadletter.Log
	state   *replay.BackendState
	limit   *replay.SendLimiter // send-rate cap of all shards; its limits follow reloads (policy.go)

	mu     sync.Mutex     // guards cur and client
	cur    config.Backend // current connection settings
	client *http.Client   // cur's client; nil: each worker builds its own
}

// metricsSet are the component metrics shared by all backends.
type metricsSet struct {
	queue    *queue.Metrics
	replay   *replay.Metrics
	ingest   *ingest.Metrics
	watchdog *watchdog.Metrics
	reload   *reloadMetrics
	rate     *replay.RateMetrics
}

// openBackends opens a sink for every configured backend, then reports
// queues of backends that are no longer configured.
func (d *Daemon) openBackends(bs []config.Backend) ([]*backendSink, error) {
	sinks := make([]*backendSink, 0, len(bs))
	for _, b := range bs {
		if err := d.register(b); err != nil {
			return nil, fmt.Errorf("backend %s: %w", b.Name, err)
		}
		s, err := d.openBackend(b)
		if s != nil {
			d.all[b.ID] = s
			sinks = append(sinks, s)
		}
		if err != nil {
			return nil, fmt.Errorf("backend %s: %w", b.Name, err)
		}
	}
	return sinks, d.reportOrphans(bs)
}

// openBackend builds b's client, opens its dead-letter log and queues
// (routed shards and any leftover shard directories) and builds their
// workers, not started. The caller registers b (register). On error the
// returned sink, if any, holds what was opened.
func (d *Daemon) openBackend(b config.Backend) (*backendSink, error) {
	client, err := b.NewClient()
	if err != nil {
		return nil, err
	}
	// queues/ and queues/<id>/ are durable before any queue in them is
	// (queue.Open makes its own directory durable).
	if err := fsutil.MkdirDurable(datadir.BackendDir(d.cfg.DataDir, b.ID), d.cfg.DataDir, 0o750); err != nil {
		return nil, err
	}
	dead, err := deadletter.Open(datadir.DeadLetterDir(d.cfg.DataDir, b.ID))
	if err != nil {
		return nil, err
	}
	s := &backendSink{backend: b, cur: b, client: client, dead: dead, state: replay.NewBackendState(b.Name),
		limit: d.newSendLimiter(b)}
	shards, err := d.shardsOf(b.ID)
	if err != nil {
		return s, err
	}
	for _, shard := range shards {
		q, err := queue.Open(datadir.QueueDir(d.cfg.DataDir, b.ID, shard), queue.Options{
			SegmentBytes: d.cfg.SegmentBytes, MaxBytes: d.cfg.MaxQueueBytes, FullPolicy: fullPolicy(d.cfg.QueueFullPolicy),
			Name: fmt.Sprintf("%s/%04d", b.Name, shard), Logger: d.log.With("backend", b.Name, "shard", shard),
			Metrics: d.metrics.queue, BatchLinger: d.cfg.BatchLinger, CommitCycle: d.cycle, Journal: d.journal,
		})
		if err != nil {
			return s, fmt.Errorf("shard %d: %w", shard, err)
		}
		sq := &shardQueue{shard: shard, q: q, routed: shard < d.cfg.Shards}
		w, err := d.newWorker(s, sq)
		if err != nil {
			_ = q.Close()
			return s, fmt.Errorf("shard %d: %w", shard, err)
		}
		sq.w.Store(w)
		s.queues = append(s.queues, sq)
	}
	return s, nil
}

// shardsOf returns 0..shards-1 plus the shard directories already on disk.
func (d *Daemon) shardsOf(id string) ([]int, error) {
	shards := make([]int, 0, d.cfg.Shards)
	for i := 0; i < d.cfg.Shards; i++ {
		shards = append(shards, i)
	}
	onDisk, err := datadir.Shards(d.cfg.DataDir, id)
	if err != nil && !errors.Is(err, fs.ErrNotExist) { // a new backend has no directory yet
		return nil, err
	}
	for _, s := range onDisk {
		if s >= d.cfg.Shards {
			d.log.Info("draining queue of a shard beyond --shard", "backend_id", id, "shard", s)
			shards = append(shards, s)
		}
	}
	return shards, nil
}

// register records the backend in backend.json and the state file.
func (d *Daemon) register(b config.Backend) error {
	now := time.Now().UTC()
	info := datadir.BackendInfo{ID: b.ID, URL: b.Name, Created: now, Shards: d.cfg.Shards, ShardKey: d.cfg.ShardKey.String()}
	if old, err := datadir.ReadBackendInfo(d.cfg.DataDir, b.ID); err == nil {
		info.Created = old.Created
		info.Shards = max(old.Shards, d.cfg.Shards)
	}
	if err := datadir.WriteBackendInfo(d.cfg.DataDir, info); err != nil {
		return err
	}
	return d.store.PutBackend(store.BackendRecord{ID: b.ID, URL: b.Name, FirstSeen: info.Created, LastSeen: now,
		Settings: map[string]string{"shards": fmt.Sprint(d.cfg.Shards), "protocol": b.Protocol}})
}

// newWorker builds the worker of q from s's current settings. Its
// repeated warnings (a dead-lettered batch, a failed send) are written at
// most once per 10s each, with the count of the copies in between.
func (d *Daemon) newWorker(s *backendSink, q *shardQueue) (*replay.Worker, error) {
	b, client := s.current()
	ep := &replay.Endpoint{Name: b.Name, URL: b.URL, Client: client, Timeout: d.cfg.RemoteTimeout,
		Headers: b.Headers, UserAgent: "prws/" + d.version, Protocol: replay.Protocol(b.Protocol)}
	if b.Timeout > 0 {
		ep.Timeout = b.Timeout
	}
	return replay.NewWorker(ep, q.q.Consumer(), replay.Options{
		Shard: q.shard, BatchSamples: d.cfg.Batch, MaxInFlight: d.cfg.MaxInFlight, Lanes: d.lanes, Host: d.host, RetryTimes: d.cfg.RetryTimes,
		MinWait: d.cfg.MinWait, MaxWait: d.cfg.MaxWait, TenantHeader: d.tenantHeader,
		State: s.state, Metrics: d.metrics.replay, DeadLetters: s.dead,
		Logger: slog.New(logthrottle.New(d.log.Handler(), logthrottle.Options{})), OnResult: d.sendResultHook(s.backend.ID), Limiter: s.limit,
	})
}

// fullPolicy maps --queue-full-policy (validated by config) to the queue's.
func fullPolicy(s string) queue.FullPolicy {
	p, _ := queue.ParseFullPolicy(s)
	return p
}

// reportOrphans logs queues on disk whose backend is not configured. They
// are kept, never deleted: drop them explicitly with the CLI.
func (d *Daemon) reportOrphans(bs []config.Backend) error {
	ids, err := datadir.Backends(d.cfg.DataDir)
	if err != nil {
		return err
	}
	configured := make(map[string]bool, len(bs))
	for _, b := range bs {
		configured[b.ID] = true
	}
	for _, id := range ids {
		if configured[id] {
			continue
		}
		qs, err := dataops.QueuesFromDataDir(d.cfg.DataDir, map[string]bool{})
		if err != nil {
			return err
		}
		for _, q := range qs {
			if q.BackendID == id && q.PendingRecords > 0 {
				d.log.Warn("queue of a backend that is not configured kept on disk; it drains if the backend is configured again",
					"backend", q.Backend, "shard", q.Shard, "pending_samples", q.PendingSamples)
			}
		}
		d.orphans = append(d.orphans, id)
	}
	return nil
}

// current returns the sink's connection settings and client.
func (s *backendSink) current() (config.Backend, *http.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur, s.client
}

func (s *backendSink) start() {
	for _, q := range s.queues {
		q.w.Load().Start()
	}
}

func (s *backendSink) stop(ctx context.Context, log *slog.Logger) {
	for _, q := range s.queues {
		w := q.w.Load()
		if err := w.Stop(ctx); err != nil {
			log.Warn("replay worker did not stop in time", "backend", s.backend.Name, "shard", q.shard, "err", err)
			continue
		}
		if b, ok := w.Left(); ok {
			log.Info("unacknowledged batch left queued for the next start", "backend", s.backend.Name,
				"shard", q.shard, "first", b.First, "last", b.Last, "samples", b.Samples)
		}
	}
}

func (s *backendSink) allQueues() []*shardQueue { return s.queues }

func (s *backendSink) close() error {
	var errs []error
	for _, q := range s.queues {
		errs = append(errs, q.q.Close())
	}
	return errors.Join(errs...)
}

// targets returns the routed queues of the backend, indexed by shard.
func (s *backendSink) targets(shards int) []ingest.Target {
	out := make([]ingest.Target, shards)
	for _, q := range s.queues {
		if q.shard < shards {
			out[q.shard] = q.q
		}
	}
	return out
}

// status reports the sink's queues; configured is false for a backend a
// reload removed (its queues drain but take no new data).
func (s *backendSink) status(configured bool, sc *redact.Scrubber) []adminapi.QueueStatus {
	st := s.state.Status()
	dead := s.dead.Count()
	cur, _ := s.current()
	out := make([]adminapi.QueueStatus, 0, len(s.queues))
	for _, q := range s.queues {
		qs := dataops.FromStats(q.q.Stats())
		ws := q.w.Load().Status()
		qs.Backend, qs.BackendID, qs.Shard = cur.Name, s.backend.ID, q.shard
		qs.Configured, qs.Routed, qs.Up = configured, configured && q.routed, st.Up
		qs.LastError, qs.LastErrorTime, qs.SendRate = sc.Text(st.LastError), st.LastErrorTime, ws.SendRate
		qs.LastSuccessTime = st.LastSuccessTime
		qs.DeadLetters, qs.Source, qs.SendLimit = dead, "daemon", s.limit.SamplesPerSecond()
		out = append(out, qs)
	}
	// SendRate is the backend's, shared by its shards, so the drain ETA
	// is the backend's too: its whole backlog at that rate.
	var pending uint64
	for _, qs := range out {
		pending += qs.PendingSamples
	}
	for i := range out {
		out[i].DrainETA = adminapi.ETA(pending, drainRate(out[i].SendRate, st.Up, s.limit))
		if !st.Up {
			out[i].DrainETA = -1 // a failing backend drains nothing
		}
	}
	return out
}
