package powerfs

import (
	"maps"
	"slices"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// invalidation is what the kernel must drop after a power cut.
type invalidation struct {
	rootNames []string // names under the root, before and after the cut
	dead      []uint64 // node ids that died in the cut
	server    *fuse.Server
}

// cut performs a power cut of the in-memory state: it reverts the tree to
// its durable state, kills every open handle and every kernel node id but
// the root's (lookups now hand out fresh ids, so no kernel inode, page
// cache or dentry from before the cut is reused), and returns what the
// kernel must be told to forget.
func (s *fsys) cut() invalidation {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := slices.Collect(maps.Keys(s.root.dir.entries))
	powerCut(s.root)
	for name := range s.root.dir.entries {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	var dead []uint64
	for id, kn := range s.nodes {
		if id == fuse.FUSE_ROOT_ID || kn.dead {
			continue
		}
		kn.dead = true
		if kn.in.kid == id {
			kn.in.kid = 0
		}
		kn.in = nil // a dead node needs no inode; let unreachable ones go
		dead = append(dead, id)
	}
	for _, h := range s.handles {
		h.in, h.list = nil, nil
	}
	s.epoch++
	s.stats.PowerCuts++
	return invalidation{rootNames: names, dead: dead, server: s.server}
}
