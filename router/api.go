package router

import "errors"

// Key selects what identifies a series for routing.
type Key int

const (
	// KeySeries hashes the full sorted label set (--shard_key series).
	KeySeries Key = iota
	// KeyMetric hashes the metric name (__name__) only (--shard_key metric).
	KeyMetric
)

// ErrConfig is returned by New and ParseKey for an invalid ring setting.
var ErrConfig = errors.New("invalid ring configuration")

// ParseKey parses "series" or "metric".
func ParseKey(s string) (Key, error) { panic("stub") }

// Hasher computes the routing hash of one series from its labels.
// Labels must be fed in sorted name order. The zero value is not usable;
// use NewHasher. A Hasher is not safe for concurrent use; it does not
// allocate after construction.
type Hasher struct{}

// NewHasher returns a Hasher for the given key mode.
func NewHasher(k Key) *Hasher { panic("stub") }

// Reset starts a new series.
func (h *Hasher) Reset() { panic("stub") }

// Add feeds one label. name and value are not retained.
func (h *Hasher) Add(name, value []byte) { panic("stub") }

// Sum64 returns the routing hash of the labels fed since Reset.
func (h *Hasher) Sum64() uint64 { panic("stub") }

// Health tells the ring which backends may take new data.
// Up is called with an index into the ids given to New.
type Health interface {
	Up(backend int) bool
}

// Ring maps a series hash onto replica_factor distinct backends and a
// shard inside each. It is immutable and safe for concurrent use.
type Ring struct{}

// New builds a ring over backend ids (see BackendID). The answer of
// Lookup does not depend on the order of ids. shards must be a power of
// two >= 1; replicas must be in [1, len(ids)].
func New(ids []string, replicas, shards int) (*Ring, error) { panic("stub") }

// Lookup appends to dst the indexes (into the ids given to New) of the
// backends series hash h goes to, most preferred first, and returns it.
// health may be nil (all up). When fewer than replicas backends are up,
// down backends fill the remaining places in ring order; when none is up,
// the answer is as if all were up.
func (r *Ring) Lookup(h uint64, health Health, dst []int) []int { panic("stub") }

// Shard returns the shard (0..shards-1) of hash h inside any backend.
func (r *Ring) Shard(h uint64) int { panic("stub") }

// BackendID returns the stable identity of a backend remote-write URL:
// the same for URLs that differ only in credentials, fixed-width, usable
// as a directory name.
func BackendID(rawURL string) (string, error) { panic("stub") }
