package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/prws/prws/admin"
	"github.com/prws/prws/config"
	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/ingest"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/queue"
	"github.com/prws/prws/replay"
	"github.com/prws/prws/store"
)

// shardQueue is one open queue and the worker that drains it.
type shardQueue struct {
	shard  int
	q      *queue.Queue
	w      *replay.Worker
	routed bool // shard < --shard: receives new data
}

// backendSink is everything prws holds for one configured backend.
type backendSink struct {
	backend config.Backend
	queues  []*shardQueue // sorted by shard; routed ones are 0..shards-1
	dead    *deadletter.Log
	state   *replay.BackendState
}

// metricsSet are the component metrics shared by all backends.
type metricsSet struct {
	queue  *queue.Metrics
	replay *replay.Metrics
	ingest *ingest.Metrics
}

// openBackends registers every configured backend, opens its queues
// (routed shards and any leftover shard directories) and builds its
// workers, then reports queues of backends that are no longer configured.
func (d *Daemon) openBackends() error {
	d.metrics = metricsSet{
		queue: queue.NewMetrics(d.reg), replay: replay.NewMetrics(d.reg), ingest: ingest.NewMetrics(d.reg),
	}
	for _, b := range d.backends {
		s, err := d.openBackend(b)
		if s != nil {
			d.sinks = append(d.sinks, s)
		}
		if err != nil {
			return fmt.Errorf("backend %s: %w", b.Name, err)
		}
	}
	return d.reportOrphans()
}

func (d *Daemon) openBackend(b config.Backend) (*backendSink, error) {
	if err := d.register(b); err != nil {
		return nil, err
	}
	dead, err := deadletter.Open(datadir.DeadLetterDir(d.cfg.DataDir, b.ID))
	if err != nil {
		return nil, err
	}
	s := &backendSink{backend: b, dead: dead, state: replay.NewBackendState(b.Name)}
	shards, err := d.shardsOf(b.ID)
	if err != nil {
		return s, err
	}
	for _, shard := range shards {
		q, err := queue.Open(datadir.QueueDir(d.cfg.DataDir, b.ID, shard), queue.Options{
			SegmentBytes: d.cfg.SegmentBytes, MaxBytes: d.cfg.MaxQueueBytes,
			Name: fmt.Sprintf("%s/%04d", b.Name, shard), Logger: d.log.With("backend", b.Name, "shard", shard),
			Metrics: d.metrics.queue,
		})
		if err != nil {
			return s, fmt.Errorf("shard %d: %w", shard, err)
		}
		sq := &shardQueue{shard: shard, q: q, routed: shard < d.cfg.Shards}
		sq.w = replay.NewWorker(d.endpoint(b), q, d.workerOptions(s, shard))
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
	if err != nil {
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
	info := datadir.BackendInfo{ID: b.ID, URL: b.Name, Created: now, Shards: d.cfg.Shards}
	if old, err := datadir.ReadBackendInfo(d.cfg.DataDir, b.ID); err == nil {
		info.Created = old.Created
		info.Shards = max(old.Shards, d.cfg.Shards)
	}
	if err := datadir.WriteBackendInfo(d.cfg.DataDir, info); err != nil {
		return err
	}
	return d.store.PutBackend(store.BackendRecord{ID: b.ID, URL: b.Name, FirstSeen: info.Created, LastSeen: now,
		Settings: map[string]string{"shards": fmt.Sprint(d.cfg.Shards)}})
}

func (d *Daemon) endpoint(b config.Backend) *replay.Endpoint {
	return &replay.Endpoint{Name: b.Name, URL: b.URL, Timeout: d.cfg.RemoteTimeout, UserAgent: "prws/" + d.version}
}

func (d *Daemon) workerOptions(s *backendSink, shard int) replay.Options {
	return replay.Options{
		Shard: shard, BatchSamples: d.cfg.Batch, RetryTimes: d.cfg.RetryTimes,
		MinWait: d.cfg.MinWait, MaxWait: d.cfg.MaxWait, TenantHeader: d.cfg.TenantHeader,
		State: s.state, Metrics: d.metrics.replay, DeadLetters: s.dead,
		Logger: d.log, OnResult: d.sendResultHook(s.backend.ID),
	}
}

// reportOrphans logs queues on disk whose backend is not configured. They
// are kept, never deleted: drop them explicitly with the CLI.
func (d *Daemon) reportOrphans() error {
	ids, err := datadir.Backends(d.cfg.DataDir)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if slices.ContainsFunc(d.backends, func(b config.Backend) bool { return b.ID == id }) {
			continue
		}
		qs, err := admin.QueuesFromDataDir(d.cfg.DataDir, map[string]bool{})
		if err != nil {
			return err
		}
		for _, q := range qs {
			if q.BackendID == id && q.PendingRecords > 0 {
				d.log.Warn("queue of a backend that is not in --promes kept on disk; it drains if the backend is configured again",
					"backend", q.Backend, "shard", q.Shard, "pending_samples", q.PendingSamples)
			}
		}
		d.orphans = append(d.orphans, id)
	}
	return nil
}

func (s *backendSink) start() {
	for _, q := range s.queues {
		q.w.Start()
	}
}

func (s *backendSink) stop(ctx context.Context, log *slog.Logger) {
	for _, q := range s.queues {
		if err := q.w.Stop(ctx); err != nil {
			log.Warn("replay worker did not stop in time", "backend", s.backend.Name, "shard", q.shard, "err", err)
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

func (s *backendSink) status() []admin.QueueStatus {
	st := s.state.Status()
	dead := s.dead.Count()
	out := make([]admin.QueueStatus, 0, len(s.queues))
	for _, q := range s.queues {
		qs := admin.FromStats(q.q.Stats())
		ws := q.w.Status()
		qs.Backend, qs.BackendID, qs.Shard = s.backend.Name, s.backend.ID, q.shard
		qs.Configured, qs.Routed, qs.Up = true, q.routed, st.Up
		qs.LastError, qs.LastErrorTime, qs.SendRate = st.LastError, st.LastErrorTime, ws.SendRate
		qs.DrainETA = admin.ETA(qs.PendingSamples, ws.SendRate)
		qs.DeadLetters, qs.Source = dead, "daemon"
		out = append(out, qs)
	}
	return out
}
