package queue

import (
	"os"
	"path/filepath"
)

// The wal removes the segment files a TruncateFront drops while it holds
// the lock every commit needs, and unlinking a few megabytes of freshly
// written file can keep the file system busy for tens of milliseconds.
// So before a truncation the queue gives each of those files a second
// name in trashDir; the wal's removal then only drops a name, and the
// queue frees the data afterwards, outside the lock. The trash holds
// nothing but second names of files the wal is done with (or, after a
// failed truncation, still has under their own names), so emptying it at
// any moment, at open included, loses nothing.

// trashDir is the subdirectory of a queue directory that holds them.
const trashDir = "trash"

// linkDoomed gives every file of segs that TruncateFront(target) removes
// (first index at or below target) a name in dir/trashDir, and returns
// those names. A file that cannot be linked (say, on a file system without
// hard links) is left to the wal to remove.
func linkDoomed(dir string, segs []segFile, target uint64) []string {
	trash := filepath.Join(dir, trashDir)
	var names []string
	for k, s := range segs {
		if s.index > target {
			break
		}
		if k == 0 {
			if err := os.Mkdir(trash, 0o750); err != nil && !os.IsExist(err) {
				return nil
			}
		}
		name := filepath.Join(trash, filepath.Base(s.path))
		if err := os.Link(s.path, name); err == nil {
			names = append(names, name)
		}
	}
	return names
}

// emptyTrash removes names, as linkDoomed returned them, freeing the
// data of the files the wal has removed.
func emptyTrash(names []string) {
	for _, n := range names {
		_ = os.Remove(n)
	}
}

// clearTrash removes dir/trashDir and what it holds: names a crash left
// between a truncation's link and its removal.
func clearTrash(dir string) error {
	return os.RemoveAll(filepath.Join(dir, trashDir))
}
