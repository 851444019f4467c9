package dataops

import (
	"errors"
	"fmt"

	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

// OfflineQueues opens, on first use, the routed queues of backends of a
// stopped data dir for a replay: shards 0..Shards-1 of backend.json,
// routed by its shard key (the default, series, when it has none).
// The caller holds the data dir's LOCK (taken the way the CLI's
// lockStopped takes it, which restores the daemon's commit journal into
// the queues first) and calls Close when done. Not safe for concurrent
// use.
type OfflineQueues struct {
	data string
	open map[string]Shards
	all  []*queue.Queue
}

// NewOfflineQueues returns an OfflineQueues of data dir data.
func NewOfflineQueues(data string) *OfflineQueues {
	return &OfflineQueues{data: data, open: map[string]Shards{}}
}

// Shards implements Targets. A backend without a queue directory is an
// error: replay never invents a backend.
func (o *OfflineQueues) Shards(id string) (Shards, error) {
	if s, ok := o.open[id]; ok {
		return s, nil
	}
	info, err := datadir.ReadBackendInfo(o.data, id)
	if err != nil {
		return Shards{}, fmt.Errorf("backend %s has no queue in this data dir (pass --to a backend that has): %w", id, err)
	}
	s := Shards{Key: router.KeySeries}
	if info.ShardKey != "" {
		if s.Key, err = router.ParseKey(info.ShardKey); err != nil {
			return Shards{}, fmt.Errorf("backend %s: %w", id, err)
		}
	}
	for shard := range max(info.Shards, 1) {
		q, err := queue.Open(datadir.QueueDir(o.data, id, shard), queue.Options{})
		if err != nil {
			return Shards{}, err
		}
		o.all = append(o.all, q)
		s.Queues = append(s.Queues, q)
	}
	o.open[id] = s
	return s, nil
}

// Close closes every queue opened.
func (o *OfflineQueues) Close() error {
	var errs []error
	for _, q := range o.all {
		errs = append(errs, q.Close())
	}
	o.all, o.open = nil, map[string]Shards{}
	return errors.Join(errs...)
}
