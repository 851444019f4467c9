package powerfs

import (
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// Lookup resolves name in a directory.
func (s *fsys) Lookup(_ <-chan struct{}, h *fuse.InHeader, name string, out *fuse.EntryOut) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, st := s.dirNode(h.NodeId)
	if !st.Ok() {
		return st
	}
	child := d.dir.entries[name]
	if child == nil {
		return fuse.ENOENT
	}
	s.entry(child, out)
	return fuse.OK
}

// GetAttr is stat and fstat.
func (s *fsys) GetAttr(_ <-chan struct{}, in *fuse.GetAttrIn, out *fuse.AttrOut) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, st := s.node(in.NodeId)
	if st.Ok() && in.Flags()&fuse.FUSE_GETATTR_FH != 0 {
		_, st = s.handle(in.Fh())
	}
	if !st.Ok() {
		return st
	}
	out.SetTimeout(0)
	fillAttr(n, &out.Attr)
	return fuse.OK
}

// SetAttr is truncate, chmod, chown and utimes.
func (s *fsys) SetAttr(_ <-chan struct{}, in *fuse.SetAttrIn, out *fuse.AttrOut) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, st := s.node(in.NodeId)
	if fh, ok := in.GetFh(); ok && st.Ok() {
		_, st = s.handle(fh)
	}
	if !st.Ok() {
		return st
	}
	now := time.Now()
	if size, ok := in.GetSize(); ok {
		if st := truncate(n, size, now); !st.Ok() {
			return st
		}
	}
	setMeta(n, &in.SetAttrInCommon)
	n.attr.ctime = now
	out.SetTimeout(0)
	fillAttr(n, &out.Attr)
	return fuse.OK
}

func truncate(n *inode, size uint64, now time.Time) fuse.Status {
	switch {
	case n.isDir():
		return fuse.EISDIR
	case n.data == nil:
		return fuse.EINVAL
	}
	n.data.resize(int64(size))
	n.touch(now)
	return fuse.OK
}

func setMeta(n *inode, in *fuse.SetAttrInCommon) {
	if mode, ok := in.GetMode(); ok {
		n.attr.mode = n.attr.mode&syscall.S_IFMT | mode
	}
	if uid, ok := in.GetUID(); ok {
		n.attr.uid = uid
	}
	if gid, ok := in.GetGID(); ok {
		n.attr.gid = gid
	}
	if t, ok := in.GetATime(); ok {
		n.attr.atime = t
	}
	if t, ok := in.GetMTime(); ok {
		n.attr.mtime = t
	}
}

// Access succeeds for live nodes; the kernel checks permissions itself
// (default_permissions).
func (s *fsys) Access(_ <-chan struct{}, in *fuse.AccessIn) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, st := s.node(in.NodeId)
	return st
}

// StatFs reports a disk of capacity bytes with the current files' bytes
// used.
func (s *fsys) StatFs(_ <-chan struct{}, _ *fuse.InHeader, out *fuse.StatfsOut) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	const bs, blocks, files = 4096, 1 << 28, 1 << 24 // 1 TiB, 16 Mi inodes
	usedBytes, usedFiles := usage(s.root, map[*inode]bool{})
	used := min((usedBytes+bs-1)/bs, blocks)
	out.Bsize, out.Frsize, out.NameLen = bs, bs, 255
	out.Blocks, out.Bfree, out.Bavail = blocks, blocks-used, blocks-used
	out.Files, out.Ffree = files, files-min(usedFiles, files)
	return fuse.OK
}

// usage sums the sizes and counts the inodes reachable from d.
func usage(d *inode, seen map[*inode]bool) (bytes, files uint64) {
	for _, c := range d.dir.entries {
		if seen[c] {
			continue
		}
		seen[c] = true
		bytes += c.size()
		files++
		if c.isDir() {
			b, f := usage(c, seen)
			bytes, files = bytes+b, files+f
		}
	}
	return bytes, files
}
