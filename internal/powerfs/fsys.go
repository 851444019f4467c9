package powerfs

import (
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// fsys is the FUSE server of one simulated disk: a fuse.RawFileSystem over
// an inode tree. go-fuse calls its methods from many goroutines; one mutex
// serializes them, and every method holds it only for in-memory work.
type fsys struct {
	fuse.RawFileSystem // ENOSYS for everything not implemented here

	directIO bool

	mu       sync.Mutex // guards the fields below and every inode and content
	root     *inode
	lastIno  uint64
	nodes    map[uint64]*knode  // kernel node id -> node
	lastNode uint64             // node ids are never reused
	handles  map[uint64]*handle // open files and directories
	lastFh   uint64
	epoch    uint64 // power cuts so far; older handles are dead
	stats    Stats
	failGlob string       // name glob of the next fsync to fail; "" if none
	server   *fuse.Server // for invalidation notices; set by Init
}

// knode is an inode as the kernel knows it: a node id and its lookup count.
type knode struct {
	in      *inode // nil once dead
	lookups uint64
	dead    bool // from before a power cut: operations fail with EIO
}

// handle is an open file or directory.
type handle struct {
	in    *inode // nil once dead
	epoch uint64
	list  []fuse.DirEntry // directory listing, taken when read at offset 0
}

func newFsys(directIO bool) *fsys {
	root := newInode(fuse.FUSE_ROOT_ID, syscall.S_IFDIR|0o755, 0, 0, time.Now())
	root.links, root.dir.parent, root.kid = 1, root, fuse.FUSE_ROOT_ID
	return &fsys{
		RawFileSystem: fuse.NewDefaultRawFileSystem(),
		directIO:      directIO,
		root:          root,
		lastIno:       fuse.FUSE_ROOT_ID,
		nodes:         map[uint64]*knode{fuse.FUSE_ROOT_ID: {in: root, lookups: 1}},
		lastNode:      fuse.FUSE_ROOT_ID,
		handles:       map[uint64]*handle{},
	}
}

func (s *fsys) String() string { return "powerfs" }

// Init records the server for invalidation notices.
func (s *fsys) Init(server *fuse.Server) {
	s.mu.Lock()
	s.server = server
	s.mu.Unlock()
}

// node returns the live inode behind a kernel node id.
func (s *fsys) node(id uint64) (*inode, fuse.Status) {
	kn := s.nodes[id]
	if kn == nil || kn.dead {
		return nil, fuse.EIO
	}
	return kn.in, fuse.OK
}

// dirNode is node for an id that must be a directory.
func (s *fsys) dirNode(id uint64) (*inode, fuse.Status) {
	in, st := s.node(id)
	if st.Ok() && !in.isDir() {
		return nil, fuse.ENOTDIR
	}
	return in, st
}

// handle returns a live open handle.
func (s *fsys) handle(fh uint64) (*handle, fuse.Status) {
	h := s.handles[fh]
	switch {
	case h == nil:
		return nil, fuse.EBADF
	case h.epoch != s.epoch:
		return nil, fuse.EIO
	}
	return h, fuse.OK
}

// ref hands the kernel one more lookup reference to in and returns its id.
func (s *fsys) ref(in *inode) uint64 {
	if in.kid == 0 {
		s.lastNode++
		in.kid = s.lastNode
		s.nodes[in.kid] = &knode{in: in}
	}
	s.nodes[in.kid].lookups++
	return in.kid
}

// Forget drops lookup references; a node without any is deleted.
func (s *fsys) Forget(id, n uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kn := s.nodes[id]
	if kn == nil || id == fuse.FUSE_ROOT_ID {
		return
	}
	kn.lookups -= min(n, kn.lookups)
	if kn.lookups == 0 {
		delete(s.nodes, id)
		if !kn.dead && kn.in.kid == id {
			kn.in.kid = 0
		}
	}
}

// entry fills an entry reply for in (taking a lookup reference). Entries
// and attributes are never cached by the kernel: timeouts are zero.
func (s *fsys) entry(in *inode, out *fuse.EntryOut) {
	out.NodeId = s.ref(in)
	out.Generation = 0
	out.SetEntryTimeout(0)
	out.SetAttrTimeout(0)
	fillAttr(in, &out.Attr)
}

func fillAttr(in *inode, a *fuse.Attr) {
	a.Ino = in.ino
	a.Size = in.size()
	a.Blocks = (a.Size + 511) / 512
	a.Mode = in.attr.mode
	a.Nlink = in.nlink()
	a.Owner = fuse.Owner{Uid: in.attr.uid, Gid: in.attr.gid}
	a.Blksize = 4096
	a.SetTimes(&in.attr.atime, &in.attr.mtime, &in.attr.ctime)
}

// syncInode is fsync, fdatasync and a directory's fsync: it makes in's
// data or entries durable unless an injected failure is armed for it.
func (s *fsys) syncInode(in *inode) fuse.Status {
	if s.failGlob != "" {
		if ok, _ := filepath.Match(s.failGlob, in.name); ok {
			s.failGlob = ""
			s.stats.FailedSyncs++
			if in.data != nil {
				in.data.dropDirty()
			}
			return fuse.EIO
		}
	}
	in.sync()
	if in.isDir() {
		s.stats.DirSyncs++
	} else {
		s.stats.FileSyncs++
	}
	return fuse.OK
}
