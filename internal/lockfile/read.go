package lockfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// Read returns the record in dir's lock file and whether a live process
// holds the lock. It probes with a non-blocking shared flock on its own
// descriptor, held for the duration of the probe only, so it never blocks
// and also sees a lock held by this process. A missing lock file gives an
// error wrapping fs.ErrNotExist; a held lock whose record is not readable
// yet gives held == true and an error wrapping ErrNoInfo. A record left by
// a process that exited is returned with held == false.
func Read(dir string) (info Info, held bool, err error) {
	path := filepath.Join(dir, FileName)
	f, err := os.Open(path)
	if err != nil {
		return Info{}, false, fmt.Errorf("lockfile: %w", err)
	}
	defer f.Close()
	held, err = probe(f)
	if err != nil {
		return Info{}, false, fmt.Errorf("lockfile: probe %s: %w", path, err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return Info{}, held, fmt.Errorf("lockfile: read %s: %w", path, err)
	}
	info, err = parseInfo(b)
	if err != nil {
		return Info{}, held, fmt.Errorf("lockfile: %s: %w", path, err)
	}
	return info, held, nil
}

// probe reports whether another descriptor holds an exclusive lock on f.
func probe(f *os.File) (bool, error) {
	err := flock(f, syscall.LOCK_SH|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return false, flock(f, syscall.LOCK_UN)
}
