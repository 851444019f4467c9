// Package powerfs is a power-cut simulator for tests: a FUSE file system,
// served from the test process, that keeps apart what was made durable by
// fsync and what was not, and on PowerCut drops everything that was not.
// prws' durability tests run the daemon (or a queue) with its data
// directory on it, cut the power, and check that every acknowledged record
// is still there. It is test support only: no production code imports it.
//
// # The model
//
// Strict POSIX, the model of LazyFS and of the ALICE study ("All File
// Systems Are Not Created Equal", OSDI 2014), with no help from a journal:
//
//   - Every regular file has its current content and its durable content:
//     what it held at its last fsync or fdatasync (empty if never synced).
//     Both make the current content, size and attributes durable.
//   - Every directory has its current entries (name -> inode) and its
//     durable entries: those it had at its last fsync. A name is durable
//     only through an fsync of its own directory; fsyncing the file does not
//     make its name durable. That holds for creat, mkdir, link, unlink,
//     rmdir and rename alike. A rename between two directories needs both
//     fsynced: each directory's entries after a cut are those of its own
//     last fsync, so a rename with only the target fsynced leaves the inode
//     under both names, and one with only the source fsynced under neither.
//   - A power cut reverts every file to its durable content and attributes
//     and every directory to its durable entries, starting from the root of
//     the mount (which itself always exists). Inodes no longer reachable from
//     the root are gone. A directory reachable under two names after a cut
//     (only possible after renames of directories between directories)
//     keeps the first in breadth-first order with names sorted; a real file
//     system's journal would have kept one of them too.
//   - Symbolic link targets are durable with the inode; a link's name
//     follows the directory rule. Inode numbers (st_ino) survive a cut.
//   - Hard links, unlink of open files (the handle keeps working), rename
//     over an existing name, RENAME_NOREPLACE and RENAME_EXCHANGE, truncate,
//     O_TRUNC, O_APPEND, pwrite anywhere (holes read as zeros), fallocate
//     (mode 0 and FALLOC_FL_KEEP_SIZE), chmod, chown, utimes, statfs and
//     shared read-only mmap work as on a local file system. flock and POSIX
//     locks are kept by the kernel (the file system does not ask for them),
//     which is exact for one kernel: locks of a process that dies go with it,
//     and a lock held through a handle from before a cut does not block one
//     taken after it, as after a reboot.
//     Extended attributes, device nodes, FIFOs and O_TMPFILE are not
//     supported.
//
// FailNextFsync injects an fsync error (EIO) with Linux's behaviour after a
// failed writeback: the unsynced data is then counted as clean and never
// reaches the disk, although it reads back until the next cut.
//
// # Kernel caches
//
// Entry, attribute and negative-entry timeouts are zero, so the kernel asks
// the server on every path lookup and stat. A power cut additionally
// retires every kernel node id except the root's (new lookups get fresh
// ids, so no kernel inode, page cache or lock from before the cut is
// reused), invalidates the root's dentries (which prunes everything below)
// and the cached pages of the retired nodes. Handles opened before the cut
// are dead: read, write, fsync, fstat and close on them fail with EIO. So
// a test can abandon an in-process user (a queue) without closing it, cut
// the power and open a new one on the same path, which sees only the
// durable state while the old one fails every operation on its open files.
// Only handles die, though: a name looked up after the cut, by anyone,
// resolves in the new state. Leave an abandoned user alone (do not Close
// it, and make sure none of its goroutines still writes): a Close that
// creates a file or replaces one by rename would write into the state
// after the cut. A
// process that still has such a file mmapped gets SIGBUS when it touches a
// page; an abandoned in-process user must not touch its old mappings.
//
// Files open without O_DIRECT use the page cache in write-through mode:
// every write reaches the server before write(2) returns, so nothing is
// buffered in the kernel that a cut could miss.
//
// # Concurrency and limits
//
// A mounted FS is served by goroutines of the process that called Mount;
// its methods are safe for concurrent use. One mutex serializes the file
// operations, which only copy memory: a write costs its length, an fsync
// the bytes written since the previous one (extents are tracked), a power
// cut the size of the surviving data. Everything lives in memory: twice the
// data (current and durable) plus unsynced garbage until a cut.
//
// A process must not use an mmap of a file on a mount that it serves
// itself. A page fault on such a map waits for the server, and a Go
// stop-the-world started meanwhile stops the server's goroutines too: the
// process deadlocks, with a thread stuck in the kernel until the mount is
// force-unmounted (umount -f). Faults are common, not rare: in FUSE's
// write-through mode every size change by ftruncate drops the file's cached
// pages, and bbolt grows its file that way. Run mmap users (bbolt, so the
// prws binary or anything opening its store) as child processes; plain
// read, write and fsync from the serving process are safe, since a
// goroutine in a system call does not hold up a stop-the-world.
//
// Mounting needs /dev/fuse and either root (mount(2)) or the fusermount3
// helper. Available says whether it works; MountT skips a test that cannot
// mount, with the reason.
package powerfs
