package dataops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

// Appender is the write side of a queue (*queue.Queue).
type Appender interface {
	Append(ctx context.Context, recs []queue.Record) error
}

// Shards are the routed queues of one backend, indexed by shard, and the
// key that places a series among them: what ingest routes by. len(Queues)
// must be a power of two (the ring's --shard).
type Shards struct {
	Queues []Appender
	Key    router.Key
}

// Targets finds the Shards of a backend id for a replay; an error says
// why the backend cannot take data (not configured, no queue).
type Targets func(id string) (Shards, error)

// Replay re-queues each chosen dead letter for its own backend, or for
// backend to when it is not "", and removes it once it is durable there
// (see ReplayDeadLetter). It goes on past a failed dead letter; the
// result lists what was re-queued and what failed.
func Replay(ctx context.Context, logs DeadLetterLogs, chosen []adminapi.DeadLetter, to string, targets Targets) adminapi.ReplayResult {
	res := adminapi.ReplayResult{Replayed: []adminapi.Replayed{}}
	for _, d := range chosen {
		target := cmp.Or(to, d.BackendID)
		n, err := replayTo(ctx, logs[d.BackendID], d.Name, target, targets)
		if err != nil {
			res.Errors = append(res.Errors, err.Error())
			continue
		}
		res.Replayed = append(res.Replayed, adminapi.Replayed{Name: d.Name, BackendID: d.BackendID, To: target, Samples: n})
	}
	return res
}

func replayTo(ctx context.Context, l *deadletter.Log, name, target string, targets Targets) (int, error) {
	if l == nil {
		return 0, fmt.Errorf("dead letter %s: %w", name, fs.ErrNotExist)
	}
	s, err := targets(target)
	if err != nil {
		return 0, fmt.Errorf("dead letter %s: %w", name, err)
	}
	return ReplayDeadLetter(ctx, l, name, s)
}

// ReplayDeadLetter appends the batch of dead letter name in l to the
// queues of s, each series to the shard ingest routes it to and the
// metadata to shard 0, and, once all of it is durable there, removes the
// dead letter. It returns the samples re-queued. A crash or a refused
// append midway leaves the batch dead-lettered, and maybe partly queued
// too (delivery is at-least-once anyway); the dead letter is never
// removed before the queues hold all of its data.
func ReplayDeadLetter(ctx context.Context, l *deadletter.Log, name string, s Shards) (int, error) {
	e, err := l.Read(name)
	if err != nil {
		return 0, err
	}
	byShard, samples, err := RecordsOf(e.Body, e.Tenant, s.Key, len(s.Queues))
	if err != nil {
		return 0, fmt.Errorf("dead letter %s: %w", name, err)
	}
	for shard, recs := range byShard {
		if len(recs) == 0 {
			continue
		}
		if err := s.Queues[shard].Append(ctx, recs); err != nil {
			return 0, fmt.Errorf("dead letter %s: re-queue to shard %d: %w", name, shard, err)
		}
	}
	if err := l.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return samples, fmt.Errorf("dead letter %s: re-queued, but not removed: %w", name, err)
	}
	return samples, nil
}
