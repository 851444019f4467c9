package powerfs

import (
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"
)

// open registers a handle for in. The caller holds s.mu.
func (s *fsys) open(in *inode, out *fuse.OpenOut) {
	s.lastFh++
	s.handles[s.lastFh] = &handle{in: in, epoch: s.epoch}
	out.Fh = s.lastFh
	out.OpenFlags = 0 // no FOPEN_KEEP_CACHE: each open drops cached pages
	if s.directIO && !in.isDir() {
		out.OpenFlags |= fuse.FOPEN_DIRECT_IO
	}
}

// Create is open(O_CREAT) of a name the kernel did not find.
func (s *fsys) Create(_ <-chan struct{}, in *fuse.CreateIn, name string, out *fuse.CreateOut) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	child, st := s.newChild(&in.InHeader, name, syscall.S_IFREG|in.Mode&0o7777)
	if st == fuse.Status(syscall.EEXIST) && in.Flags&syscall.O_EXCL == 0 {
		// Created by someone else since the kernel's lookup: open it.
		child, st = s.openExisting(in.NodeId, name, in.Flags)
	}
	if !st.Ok() {
		return st
	}
	s.entry(child, &out.EntryOut)
	s.open(child, &out.OpenOut)
	return fuse.OK
}

func (s *fsys) openExisting(dir uint64, name string, flags uint32) (*inode, fuse.Status) {
	d, _ := s.node(dir)
	child := d.dir.entries[name]
	if child.data == nil {
		return nil, fuse.EISDIR
	}
	if flags&syscall.O_TRUNC != 0 {
		truncate(child, 0, time.Now())
	}
	return child, fuse.OK
}

// Open opens a regular file, honouring O_TRUNC.
func (s *fsys) Open(_ <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, st := s.node(in.NodeId)
	switch {
	case !st.Ok():
		return st
	case n.isDir():
		return fuse.EISDIR
	case n.data == nil:
		return fuse.EINVAL
	}
	if in.Flags&syscall.O_TRUNC != 0 && in.Flags&syscall.O_ACCMODE != syscall.O_RDONLY {
		truncate(n, 0, time.Now())
	}
	s.open(n, out)
	return fuse.OK
}

// Read copies file data at the offset into buf.
func (s *fsys) Read(_ <-chan struct{}, in *fuse.ReadIn, buf []byte) (fuse.ReadResult, fuse.Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, st := s.handle(in.Fh)
	if !st.Ok() {
		return nil, st
	}
	n := h.in.data.read(int64(in.Offset), buf[:min(int(in.Size), len(buf))])
	return fuse.ReadResultData(buf[:n]), fuse.OK
}

// Write is write and pwrite; the kernel has already turned O_APPEND into
// the offset.
func (s *fsys) Write(_ <-chan struct{}, in *fuse.WriteIn, data []byte) (uint32, fuse.Status) {
	return s.Writev(nil, in, [][]byte{data})
}

// Writev is Write with the data in pieces, saving a copy.
func (s *fsys) Writev(_ <-chan struct{}, in *fuse.WriteIn, data [][]byte) (uint32, fuse.Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, st := s.handle(in.Fh)
	if !st.Ok() {
		return 0, st
	}
	off := int64(in.Offset)
	for _, p := range data {
		h.in.data.write(off, p)
		off += int64(len(p))
	}
	h.in.touch(time.Now())
	return uint32(off - int64(in.Offset)), fuse.OK
}

// Fsync is fsync and fdatasync of a file: both make its data and
// attributes durable.
func (s *fsys) Fsync(_ <-chan struct{}, in *fuse.FsyncIn) fuse.Status {
	return s.fsync(in)
}

// FsyncDir is fsync of a directory: it makes its entries durable.
func (s *fsys) FsyncDir(_ <-chan struct{}, in *fuse.FsyncIn) fuse.Status {
	return s.fsync(in)
}

func (s *fsys) fsync(in *fuse.FsyncIn) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, st := s.handle(in.Fh)
	if !st.Ok() {
		return st
	}
	return s.syncInode(h.in)
}

// Flush is called on every close; it fails on handles from before a power
// cut.
func (s *fsys) Flush(_ <-chan struct{}, in *fuse.FlushIn) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, st := s.handle(in.Fh)
	return st
}

// Release drops a file handle, dead or alive.
func (s *fsys) Release(_ <-chan struct{}, in *fuse.ReleaseIn) {
	s.mu.Lock()
	delete(s.handles, in.Fh)
	s.mu.Unlock()
}

// Fallocate supports mode 0 (grow the file) and FALLOC_FL_KEEP_SIZE (a
// no-op: the simulated disk never runs out of space).
func (s *fsys) Fallocate(_ <-chan struct{}, in *fuse.FallocateIn) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, st := s.handle(in.Fh)
	switch {
	case !st.Ok():
		return st
	case in.Mode == unix.FALLOC_FL_KEEP_SIZE:
		return fuse.OK
	case in.Mode != 0:
		return fuse.Status(syscall.EOPNOTSUPP)
	}
	if end := int64(in.Offset + in.Length); end > h.in.data.size() {
		h.in.data.resize(end)
		h.in.touch(time.Now())
	}
	return fuse.OK
}

// OpenDir opens a directory for reading or fsync.
func (s *fsys) OpenDir(_ <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, st := s.dirNode(in.NodeId)
	if !st.Ok() {
		return st
	}
	s.open(d, out)
	return fuse.OK
}

// ReadDir lists a directory from a listing taken when it is read at
// offset 0, so that entries added or removed meanwhile do not shift it.
func (s *fsys) ReadDir(_ <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList) fuse.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, st := s.handle(in.Fh)
	if !st.Ok() {
		return st
	}
	if in.Offset == 0 || h.list == nil {
		h.list = listing(h.in)
	}
	for i := in.Offset; i < uint64(len(h.list)); i++ {
		e := h.list[i]
		e.Off = i + 1
		if !out.AddDirEntry(e) {
			break
		}
	}
	return fuse.OK
}

// listing is a directory's entries, "." and ".." first, then by name.
func listing(d *inode) []fuse.DirEntry {
	list := []fuse.DirEntry{
		{Name: ".", Mode: syscall.S_IFDIR, Ino: d.ino},
		{Name: "..", Mode: syscall.S_IFDIR, Ino: d.dir.parent.ino},
	}
	for name, c := range d.dir.entries {
		list = append(list, fuse.DirEntry{Name: name, Mode: c.attr.mode, Ino: c.ino})
	}
	slices.SortFunc(list[2:], func(a, b fuse.DirEntry) int { return strings.Compare(a.Name, b.Name) })
	return list
}

// ReleaseDir drops a directory handle.
func (s *fsys) ReleaseDir(in *fuse.ReleaseIn) {
	s.Release(nil, in)
}
