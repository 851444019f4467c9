package powerfs

import (
	"maps"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The namespace operations below work on the inodes alone and report
// failures as errno values. The caller holds the fsys mutex.

// addEntry links child under name in d.
func addEntry(d *inode, name string, child *inode, now time.Time) {
	d.dir.entries[name] = child
	child.links++
	child.name = name
	if child.isDir() {
		d.dir.subdirs++
		child.dir.parent = d
	}
	d.touch(now)
	child.attr.ctime = now
}

// removeEntry unlinks name from d; the inode lives on while handles or
// durable entries refer to it.
func removeEntry(d *inode, name string, now time.Time) {
	child := d.dir.entries[name]
	delete(d.dir.entries, name)
	child.links--
	if child.isDir() {
		d.dir.subdirs--
	}
	d.touch(now)
	child.attr.ctime = now
}

// checkCreate reports why name cannot be created in d, if it cannot.
func checkCreate(d *inode, name string) syscall.Errno {
	switch {
	case !d.isDir():
		return syscall.ENOTDIR
	case d.links == 0:
		return syscall.ENOENT // created in a removed directory
	case d.dir.entries[name] != nil:
		return syscall.EEXIST
	}
	return 0
}

// unlink removes a non-directory name.
func unlink(d *inode, name string, now time.Time) syscall.Errno {
	child := d.dir.entries[name]
	switch {
	case child == nil:
		return syscall.ENOENT
	case child.isDir():
		return syscall.EISDIR
	}
	removeEntry(d, name, now)
	return 0
}

// rmdir removes an empty directory.
func rmdir(d *inode, name string, now time.Time) syscall.Errno {
	child := d.dir.entries[name]
	switch {
	case child == nil:
		return syscall.ENOENT
	case !child.isDir():
		return syscall.ENOTDIR
	case len(child.dir.entries) > 0:
		return syscall.ENOTEMPTY
	}
	removeEntry(d, name, now)
	return 0
}

// rename implements rename(2) and renameat2's RENAME_NOREPLACE and
// RENAME_EXCHANGE.
func rename(od *inode, on string, nd *inode, nn string, flags uint32, now time.Time) syscall.Errno {
	src, dst := od.dir.entries[on], nd.dir.entries[nn]
	switch {
	case flags&^(unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE) != 0:
		return syscall.EINVAL
	case src == nil:
		return syscall.ENOENT
	case src.isDir() && isAncestor(src, nd):
		return syscall.EINVAL
	case flags&unix.RENAME_EXCHANGE != 0:
		if dst == nil {
			return syscall.ENOENT
		}
		if dst.isDir() && isAncestor(dst, od) {
			return syscall.EINVAL
		}
		removeEntry(od, on, now)
		removeEntry(nd, nn, now)
		addEntry(nd, nn, src, now)
		addEntry(od, on, dst, now)
		return 0
	case dst != nil && flags&unix.RENAME_NOREPLACE != 0:
		return syscall.EEXIST
	case src == dst:
		return 0
	}
	if dst != nil {
		if e := checkReplace(src, dst); e != 0 {
			return e
		}
		removeEntry(nd, nn, now)
	}
	removeEntry(od, on, now)
	addEntry(nd, nn, src, now)
	return 0
}

// checkReplace reports why src may not replace dst, if it may not.
func checkReplace(src, dst *inode) syscall.Errno {
	switch {
	case src.isDir() && !dst.isDir():
		return syscall.ENOTDIR
	case !src.isDir() && dst.isDir():
		return syscall.EISDIR
	case dst.isDir() && len(dst.dir.entries) > 0:
		return syscall.ENOTEMPTY
	}
	return 0
}

// isAncestor reports whether dir a is d or one of d's ancestors.
func isAncestor(a, d *inode) bool {
	for {
		if d == a {
			return true
		}
		if d.dir.parent == d || d.dir.parent == nil {
			return false
		}
		d = d.dir.parent
	}
}

// powerCut reverts the tree under root to its durable state: every
// directory reachable from root through durable entries gets those entries
// back, every inode reached gets its durable data and attributes, and
// everything else is dropped. A directory reached under a second name keeps
// only the first, in breadth-first order with names sorted.
func powerCut(root *inode) {
	revertInode(root)
	root.links = 1
	root.dir.parent = root
	queue := []*inode{root}
	seen := map[*inode]bool{root: true}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		entries := map[string]*inode{}
		d.dir.subdirs = 0
		for _, name := range slices.Sorted(maps.Keys(d.dir.durable)) {
			child := d.dir.durable[name]
			if child.isDir() && seen[child] {
				continue
			}
			if !seen[child] {
				seen[child] = true
				revertInode(child)
				if child.isDir() {
					child.dir.parent = d
					queue = append(queue, child)
				}
			}
			entries[name] = child
			child.links++
			if child.isDir() {
				d.dir.subdirs++
			}
		}
		d.dir.entries, d.dir.durable = entries, cloneEntries(entries)
	}
}

// revertInode gives an inode its durable data and attributes and no names.
func revertInode(in *inode) {
	in.attr = in.dattr
	in.links = 0
	if in.data != nil {
		in.data.revert()
	}
}
