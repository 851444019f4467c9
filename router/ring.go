package router

import (
	"fmt"
	"slices"

	"github.com/cespare/xxhash/v2"
)

// Health tells the ring which backends may take new data.
// Up is called with an index into the ids given to New. It may be called
// several times per Lookup and from several goroutines at once; it must
// not block.
type Health interface {
	Up(backend int) bool
}

// Ring maps a series hash onto replica_factor distinct backends and a
// shard inside each. It is immutable and safe for concurrent use.
type Ring struct {
	ids      []string // backend ids, in the order given to New
	seeds    []uint64 // seeds[i] is the rendezvous seed of ids[i]
	replicas int
	mask     uint64 // shards-1
	distinct bool   // no two seeds are equal, so no two scores of a hash are
}

// New builds a ring over backend ids (see BackendID). The answer of
// Lookup does not depend on the order of ids. shards must be a power of
// two >= 1; replicas must be in [1, len(ids)]. Errors wrap ErrConfig.
// New copies ids; the caller keeps ownership of the slice.
func New(ids []string, replicas, shards int) (*Ring, error) {
	if err := validate(ids, replicas, shards); err != nil {
		return nil, err
	}
	r := &Ring{
		ids:      append([]string(nil), ids...),
		seeds:    make([]uint64, len(ids)),
		replicas: replicas,
		mask:     uint64(shards - 1),
	}
	for i, id := range ids {
		r.seeds[i] = xxhash.Sum64String(id)
	}
	r.distinct = distinct(r.seeds)
	return r, nil
}

func validate(ids []string, replicas, shards int) error {
	if len(ids) == 0 {
		return fmt.Errorf("%w: no backends (give at least one --promes URL)", ErrConfig)
	}
	seen := make(map[string]int, len(ids))
	for i, id := range ids {
		if id == "" {
			return fmt.Errorf("%w: backend %d has an empty id", ErrConfig, i)
		}
		if j, dup := seen[id]; dup {
			return fmt.Errorf("%w: backends %d and %d are the same backend (id %s)", ErrConfig, j, i, id)
		}
		seen[id] = i
	}
	if shards < 1 || shards&(shards-1) != 0 {
		return fmt.Errorf("%w: --shard must be a power of two, got %d", ErrConfig, shards)
	}
	if replicas < 1 {
		return fmt.Errorf("%w: --replica_factor must be at least 1, got %d", ErrConfig, replicas)
	}
	if replicas > len(ids) {
		return fmt.Errorf("%w: --replica_factor %d is more than the %d backends", ErrConfig, replicas, len(ids))
	}
	return nil
}

// distinct reports whether no two of seeds are equal.
func distinct(seeds []uint64) bool {
	sorted := slices.Clone(seeds)
	slices.Sort(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return false
		}
	}
	return true
}

// Len returns the number of backends of the ring.
func (r *Ring) Len() int { return len(r.ids) }

// Replicas returns the replica factor of the ring.
func (r *Ring) Replicas() int { return r.replicas }

// Shards returns the number of shards per backend.
func (r *Ring) Shards() int { return int(r.mask) + 1 }

// ID returns the id of backend i (an index as returned by Lookup).
func (r *Ring) ID(i int) string { return r.ids[i] }

// Shard returns the shard (0..shards-1) of hash h inside any backend.
func (r *Ring) Shard(h uint64) int { return int(h & r.mask) }

// mix64 is the murmur3 fmix64 finalizer: a bijection on uint64 with full
// avalanche, so scores of different backends are independent.
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// score is the rendezvous weight of backend i for hash h.
func (r *Ring) score(h uint64, i int) uint64 { return mix64(h ^ r.seeds[i]) }

// ShardOf returns the shard of a series with routing hash h among
// shards (a power of two): what Ring.Shard answers for a ring of that
// many shards.
func ShardOf(h uint64, shards int) int { return int(h & uint64(shards-1)) }
