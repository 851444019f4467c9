package powerfs

import (
	"syscall"
	"time"
)

// meta is the part of an inode's attributes that chmod, chown and utimes
// change; like data it has a current and a durable version.
type meta struct {
	mode         uint32 // S_IFMT bits and permissions
	uid, gid     uint32
	atime, mtime time.Time
	ctime        time.Time
}

// inode is a file, directory or symbolic link of the simulated disk. Its
// fields are guarded by the mutex of the fsys that owns it.
type inode struct {
	ino   uint64 // st_ino; stable across power cuts, never reused
	attr  meta   // current attributes
	dattr meta   // attributes as of the last fsync (or creation)
	links int    // names in current directory entries
	name  string // the last name it was given, for FailNextFsync

	data   *content // regular files
	target string   // symbolic links; durable from creation
	dir    *dirData // directories

	kid uint64 // kernel node id in the current epoch; 0 if none
}

// dirData holds a directory's entries: current, and as of its last fsync.
type dirData struct {
	entries map[string]*inode
	durable map[string]*inode
	parent  *inode // current parent (the root is its own parent)
	subdirs int    // directories among entries, for st_nlink
}

func newInode(ino uint64, mode, uid, gid uint32, now time.Time) *inode {
	m := meta{mode: mode, uid: uid, gid: gid, atime: now, mtime: now, ctime: now}
	in := &inode{ino: ino, attr: m, dattr: m}
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		in.data = &content{}
	case syscall.S_IFDIR:
		in.dir = &dirData{entries: map[string]*inode{}, durable: map[string]*inode{}}
	}
	return in
}

func (in *inode) isDir() bool { return in.dir != nil }

// size is st_size: bytes for files, the target's length for links.
func (in *inode) size() uint64 {
	switch {
	case in.data != nil:
		return uint64(in.data.size())
	case in.dir != nil:
		return 4096
	}
	return uint64(len(in.target))
}

// nlink is st_nlink: 0 once the last name is gone.
func (in *inode) nlink() uint32 {
	if in.dir != nil && in.links > 0 {
		return uint32(2 + in.dir.subdirs)
	}
	return uint32(in.links)
}

// touch sets mtime and ctime to now (a change of content or entries).
func (in *inode) touch(now time.Time) {
	in.attr.mtime, in.attr.ctime = now, now
}

// sync makes the inode's current data (or entries) and attributes durable.
func (in *inode) sync() {
	in.dattr = in.attr
	switch {
	case in.data != nil:
		in.data.sync()
	case in.dir != nil:
		in.dir.durable = cloneEntries(in.dir.entries)
	}
}

func cloneEntries(m map[string]*inode) map[string]*inode {
	c := make(map[string]*inode, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
