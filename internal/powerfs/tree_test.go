package powerfs

import (
	"syscall"
	"testing"
	"time"
)

func mkTestDir(ino uint64) *inode {
	return newInode(ino, syscall.S_IFDIR|0o755, 0, 0, time.Now())
}

// TestPowerCutDirectoryUnderTwoNames: renames of directories between
// directories fsynced at different times can leave a directory in the
// durable entries of two parents, even in a cycle; the cut keeps one name.
func TestPowerCutDirectoryUnderTwoNames(t *testing.T) {
	now := time.Now()
	root, a, b := mkTestDir(1), mkTestDir(2), mkTestDir(3)
	root.links, root.dir.parent = 1, root
	addEntry(root, "a", a, now)
	addEntry(root, "b", b, now)
	root.sync()
	// a into b, fsync b; a back out; b into a, fsync a: a and b now
	// hold each other durably, and the root holds both.
	if e := rename(root, "a", b, "a", 0, now); e != 0 {
		t.Fatal(e)
	}
	b.sync()
	if e := rename(b, "a", root, "a", 0, now); e != 0 {
		t.Fatal(e)
	}
	if e := rename(root, "b", a, "b", 0, now); e != 0 {
		t.Fatal(e)
	}
	a.sync()
	powerCut(root)
	if root.dir.entries["a"] != a || root.dir.entries["b"] != b {
		t.Fatalf("root entries %v, want a and b", root.dir.entries)
	}
	if len(a.dir.entries) != 0 || len(b.dir.entries) != 0 {
		t.Fatalf("a %v, b %v: a directory kept a second name", a.dir.entries, b.dir.entries)
	}
	if a.links != 1 || b.links != 1 || root.nlink() != 4 {
		t.Fatalf("links a=%d b=%d, root nlink %d", a.links, b.links, root.nlink())
	}
}

func TestRenameIntoOwnSubtree(t *testing.T) {
	now := time.Now()
	root, a, b := mkTestDir(1), mkTestDir(2), mkTestDir(3)
	root.links, root.dir.parent = 1, root
	addEntry(root, "a", a, now)
	addEntry(a, "b", b, now)
	if e := rename(root, "a", b, "x", 0, now); e != syscall.EINVAL {
		t.Fatalf("rename into own subtree: %v, want EINVAL", e)
	}
}
