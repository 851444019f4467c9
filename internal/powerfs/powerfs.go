package powerfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"
)

// ErrUnmounted is returned by PowerCut after Unmount.
var ErrUnmounted = errors.New("powerfs: file system is unmounted")

// detachWait bounds how long Unmount waits for the server to stop; only a
// busy mount that could not be aborted takes that long.
const detachWait = 2 * time.Second

// Options configure a mount. The zero value suits tests.
type Options struct {
	// DirectIO opens every file with FOPEN_DIRECT_IO, so reads and writes
	// bypass the kernel page cache. Off by default: a shared mmap (bbolt
	// reads its file that way) needs the page cache.
	DirectIO bool
	// Debug logs every FUSE request and reply with the standard logger.
	Debug bool
}

// Stats counts what happened on a mount since it was mounted.
type Stats struct {
	FileSyncs   uint64 // successful fsync/fdatasync of regular files
	DirSyncs    uint64 // successful fsync of directories
	FailedSyncs uint64 // fsyncs failed by FailNextFsync
	PowerCuts   uint64 // PowerCut calls
}

// FS is a mounted simulated disk. Its methods are safe for concurrent use.
type FS struct {
	dir    string
	dev    uint64 // st_dev of the mount, naming its FUSE connection
	sys    *fsys
	server *fuse.Server
	served chan struct{} // closed when the server loop has returned

	mu        sync.Mutex // guards unmounted; held through PowerCut and Unmount
	unmounted bool
}

// Mount mounts a new, empty simulated disk on dir, which must be an
// existing empty directory, and serves it from goroutines of this process
// until Unmount. As root it mounts with mount(2); otherwise it needs the
// fusermount3 (or fusermount) helper.
func Mount(dir string, opts Options) (*FS, error) {
	dir, err := filepath.Abs(dir)
	if err == nil {
		err = checkEmpty(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("powerfs: mount %s: %w", dir, err)
	}
	sys := newFsys(opts.DirectIO)
	server, err := fuse.NewServer(sys, dir, &fuse.MountOptions{
		FsName:                   "powerfs",
		Name:                     "powerfs",
		DirectMount:              os.Geteuid() == 0,
		DisableReadDirPlus:       true,
		DisableXAttrs:            true,
		ExplicitDataCacheControl: true,
		Options:                  []string{"default_permissions"},
		Debug:                    opts.Debug,
	})
	if err != nil {
		return nil, fmt.Errorf("powerfs: mount %s: %w", dir, err)
	}
	f := &FS{dir: dir, sys: sys, server: server, served: make(chan struct{})}
	go func() {
		server.Serve()
		close(f.served)
	}()
	if err := server.WaitMount(); err != nil {
		_ = server.Unmount()
		return nil, fmt.Errorf("powerfs: mount %s: %w", dir, err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err == nil {
		f.dev = st.Dev
	}
	return f, nil
}

func checkEmpty(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Readdirnames(1); err != io.EOF {
		if err == nil {
			return errors.New("directory is not empty")
		}
		return err
	}
	return nil
}

// Stats returns the counters so far.
func (f *FS) Stats() Stats {
	f.sys.mu.Lock()
	defer f.sys.mu.Unlock()
	return f.sys.stats
}

// FailNextFsync makes the next fsync or fdatasync of a file or directory
// whose name (its last name, without the directory) matches the
// filepath.Match pattern fail with EIO. Like Linux after a writeback
// error, a file's data written since its last successful fsync is then
// counted as clean: it stays readable until the next power cut, but no
// later fsync makes it durable (where it lay past the durable end of the
// file, a later fsync leaves zeros). An empty pattern disarms it.
func (f *FS) FailNextFsync(pattern string) {
	f.sys.mu.Lock()
	f.sys.failGlob = pattern
	f.sys.mu.Unlock()
}

// PowerCut simulates a power cut and the reboot after it: every file gets
// back its durable content and attributes, every directory its durable
// entries, and what is no longer reachable from the root is gone. Open
// handles from before the cut are dead: every later operation on them,
// close included, fails with EIO. The kernel is told to drop its dentries,
// attributes and cached pages of the old state.
//
// Callers stop the processes using the mount first (kill -9 and wait); an
// operation running concurrently with PowerCut may land on either side of
// it. PowerCut does not block on the mount's users.
func (f *FS) PowerCut() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.unmounted {
		return ErrUnmounted
	}
	inv := f.sys.cut()
	var errs []error
	check := func(what string, st fuse.Status) {
		if !st.Ok() && st != fuse.ENOENT {
			errs = append(errs, fmt.Errorf("powerfs: invalidate %s: %v", what, st))
		}
	}
	for _, name := range inv.rootNames {
		check("entry "+name, inv.server.EntryNotify(fuse.FUSE_ROOT_ID, name))
	}
	check("root", inv.server.InodeNotify(fuse.FUSE_ROOT_ID, -1, 0))
	for _, id := range inv.dead {
		check("node "+strconv.FormatUint(id, 10), inv.server.InodeNotify(id, 0, 0))
	}
	return errors.Join(errs...)
}

// Unmount unmounts the file system and stops its server. If the mount is
// busy (a process, this one included, still has files open on it), it
// forces it: as root it aborts the FUSE connection (MNT_FORCE; open handles
// then fail with ENOTCONN) and detaches the mount; otherwise it detaches it
// lazily with fusermount, aborts the connection where fusectl is mounted,
// and, if it cannot, leaves the server serving the open handles until they
// are closed. Unmount is idempotent.
func (f *FS) Unmount() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.unmounted {
		return nil
	}
	if err := f.server.Unmount(); err != nil {
		if ferr := f.force(); ferr != nil {
			return fmt.Errorf("powerfs: unmount %s: %v; forced: %w", f.dir, err, ferr)
		}
	}
	f.unmounted = true
	select {
	case <-f.served:
	case <-time.After(detachWait):
	}
	return nil
}

// force aborts the connection and detaches a busy mount.
func (f *FS) force() error {
	if os.Geteuid() == 0 {
		// For FUSE, MNT_FORCE aborts the connection even where the
		// unmount itself still fails with EBUSY.
		if syscall.Unmount(f.dir, syscall.MNT_FORCE) == nil {
			return nil
		}
		return syscall.Unmount(f.dir, syscall.MNT_DETACH)
	}
	f.abort()
	return fusermount("-u", "-z", f.dir)
}

// abort aborts the mount's FUSE connection through fusectl, if mounted.
func (f *FS) abort() {
	if f.dev == 0 {
		return
	}
	p := fmt.Sprintf("/sys/fs/fuse/connections/%d/abort", unix.Minor(f.dev))
	_ = os.WriteFile(p, []byte("1"), 0)
}
