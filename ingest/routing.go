package ingest

import (
	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

// Target is where the records of one (backend, shard) go; *queue.Queue
// satisfies it. Submit must copy what it needs of recs (payloads and
// blocks included) before it returns: the request lends those buffers to
// other requests while it waits for done. It must not block on disk, and
// must send exactly one value on done (which is buffered). Safe for
// concurrent use.
type Target interface {
	Submit(recs []queue.Record, done chan<- error)
}

// Ring maps a routing hash onto backends and a shard; *router.Ring
// satisfies it. Safe for concurrent use. A *router.Ring of one or two
// replicas is asked through Top2 instead of Lookup, which answers the
// same, for a request that began with every backend up.
type Ring interface {
	Lookup(h uint64, health router.Health, dst []int) []int
	Shard(h uint64) int
}

// Hasher computes a series hash from labels fed in sorted name order;
// *router.Hasher satisfies it. Not used concurrently.
type Hasher interface {
	Reset()
	Add(name, value []byte)
	Sum64() uint64
}

// Limiter is the series limiter hook. Admit is called once per valid series
// of a request, after the whole request validated, with the hash of the
// full sorted label set (whatever the shard key) as the series will be
// stored, and its sample+histogram count. A series not admitted is dropped.
// Safe for concurrent use.
type Limiter interface {
	Admit(seriesHash uint64, samples int) bool
}

// Routing is everything a request needs to place series. It is immutable
// once passed to SetRouting; swap in a new one to reload.
type Routing struct {
	Ring Ring
	// Key selects the routing hash (router.KeySeries or router.KeyMetric).
	Key router.Key
	// NewHasher builds hashers; nil means router.NewHasher. Each request
	// state keeps its own hashers, so they need not be concurrency-safe.
	NewHasher func(router.Key) Hasher
	// Targets are indexed [backend][shard], backend indexes as answered by
	// Ring.Lookup and shard as answered by Ring.Shard. The metadata of a
	// 1.0 request goes to every target; that of a 2.0 request goes with
	// its series.
	Targets [][]Target
	// Health is passed to Ring.Lookup; nil means all backends are up.
	Health router.Health
	// Relabel are the relabel rules; nil (the default) means none, and
	// series stay on the wire-level path (relabel.go).
	Relabel *Relabeling
}

// hasher builds one hasher for key k.
func (r *Routing) hasher(k router.Key) Hasher {
	if r.NewHasher != nil {
		return r.NewHasher(k)
	}
	return router.NewHasher(k)
}

// targetCount returns the number of (backend, shard) targets and fills
// base with each backend's first flat index.
func (r *Routing) targetCount(base []int) ([]int, int) {
	base = base[:0]
	n := 0
	for _, shards := range r.Targets {
		base = append(base, n)
		n += len(shards)
	}
	return base, n
}

// The production types fit the interfaces.
var (
	_ Target = (*queue.Queue)(nil)
	_ Ring   = (*router.Ring)(nil)
	_ Hasher = (*router.Hasher)(nil)
)
