package powerfs

import (
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// newChild creates an inode under name in the directory h.NodeId, owned by
// the caller. The caller holds s.mu.
func (s *fsys) newChild(h *fuse.InHeader, name string, mode uint32) (*inode, fuse.Status) {
	d, st := s.node(h.NodeId)
	if !st.Ok() {
		return nil, st
	}
	if e := checkCreate(d, name); e != 0 {
		return nil, fuse.Status(e)
	}
	now := time.Now()
	s.lastIno++
	child := newInode(s.lastIno, mode, h.Uid, h.Gid, now)
	addEntry(d, name, child, now)
	return child, fuse.OK
}

// Mkdir creates a directory.
func (s *fsys) Mkdir(_ <-chan struct{}, in *fuse.MkdirIn, name string, out *fuse.EntryOut) fuse.Status {
	return s.mknode(&in.InHeader, name, syscall.S_IFDIR|in.Mode&0o7777, "", out)
}

// Mknod creates a regular file; other node types are not supported.
func (s *fsys) Mknod(_ <-chan struct{}, in *fuse.MknodIn, name string, out *fuse.EntryOut) fuse.Status {
	if in.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return fuse.EPERM
	}
	return s.mknode(&in.InHeader, name, in.Mode, "", out)
}

// Symlink creates a symbolic link; its target is durable with the inode.
func (s *fsys) Symlink(_ <-chan struct{}, h *fuse.InHeader, target, name string, out *fuse.EntryOut) fuse.Status {
	return s.mknode(h, name, syscall.S_IFLNK|0o777, target, out)
}

func (s *fsys) mknode(h *fuse.InHeader, name string, mode uint32, target string, out *fuse.EntryOut) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	child, st := s.newChild(h, name, mode)
	if !st.Ok() {
		return st
	}
	child.target = target
	s.entry(child, out)
	return fuse.OK
}

// Readlink returns a symbolic link's target.
func (s *fsys) Readlink(_ <-chan struct{}, h *fuse.InHeader) ([]byte, fuse.Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, st := s.node(h.NodeId)
	if !st.Ok() {
		return nil, st
	}
	if n.attr.mode&syscall.S_IFMT != syscall.S_IFLNK {
		return nil, fuse.EINVAL
	}
	return []byte(n.target), fuse.OK
}

// Unlink removes a name of a non-directory.
func (s *fsys) Unlink(_ <-chan struct{}, h *fuse.InHeader, name string) fuse.Status {
	return s.remove(h, name, unlink)
}

// Rmdir removes an empty directory.
func (s *fsys) Rmdir(_ <-chan struct{}, h *fuse.InHeader, name string) fuse.Status {
	return s.remove(h, name, rmdir)
}

func (s *fsys) remove(h *fuse.InHeader, name string, op func(*inode, string, time.Time) syscall.Errno) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, st := s.dirNode(h.NodeId)
	if !st.Ok() {
		return st
	}
	return fuse.Status(op(d, name, time.Now()))
}

// Rename is rename(2) and renameat2 with RENAME_NOREPLACE or
// RENAME_EXCHANGE.
func (s *fsys) Rename(_ <-chan struct{}, in *fuse.RenameIn, oldName, newName string) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	od, st := s.dirNode(in.NodeId)
	if !st.Ok() {
		return st
	}
	nd, st := s.dirNode(in.Newdir)
	if !st.Ok() {
		return st
	}
	return fuse.Status(rename(od, oldName, nd, newName, in.Flags, time.Now()))
}

// Link adds a name for an existing non-directory (a hard link).
func (s *fsys) Link(_ <-chan struct{}, in *fuse.LinkIn, name string, out *fuse.EntryOut) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	target, st := s.node(in.Oldnodeid)
	if !st.Ok() {
		return st
	}
	d, st := s.node(in.NodeId)
	switch {
	case !st.Ok():
		return st
	case target.isDir():
		return fuse.EPERM
	case target.links == 0:
		return fuse.ENOENT
	}
	if e := checkCreate(d, name); e != 0 {
		return fuse.Status(e)
	}
	addEntry(d, name, target, time.Now())
	s.entry(target, out)
	return fuse.OK
}
