package lockfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/prws/prws/internal/fsutil"
)

// RetryWindow bounds how long Acquire retries a contended lock before it
// reports ErrHeld. It only rides over a concurrent Read; a real holder is
// reported as soon as the window has passed.
const RetryWindow = 100 * time.Millisecond

const retryStep = 10 * time.Millisecond

// Lock is a held data-directory lock. It is safe for concurrent use.
type Lock struct {
	path string
	info Info

	mu sync.Mutex // guards f
	f  *os.File   // nil once released
}

// Acquire takes the exclusive lock of dir (which must exist) and records
// info in DATA/LOCK (truncated, written and fsynced). It does not block
// beyond RetryWindow. If the lock is held, the error is a *HeldError
// wrapping ErrHeld that names the holder's pid and listen address. The
// caller must Release the Lock when done; the kernel releases it if the
// process dies.
func Acquire(dir string, info Info) (*Lock, error) {
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lockfile: %w", err)
	}
	if err := lockExclusive(f); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, heldError(path)
		}
		return nil, fmt.Errorf("lockfile: lock %s: %w", path, err)
	}
	info = withDefaults(info)
	if err := writeInfo(f, info); err != nil {
		_ = f.Close() // closing the last descriptor releases the lock
		return nil, fmt.Errorf("lockfile: write %s: %w", path, err)
	}
	if err := fsutil.SyncDir(dir); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lockfile: sync %s: %w", dir, err)
	}
	return &Lock{path: path, info: info, f: f}, nil
}

// lockExclusive takes a non-blocking exclusive flock, retrying within
// RetryWindow while it is contended.
func lockExclusive(f *os.File) error {
	deadline := time.Now().Add(RetryWindow)
	for {
		err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(retryStep)
	}
}

// flock calls flock(2), retrying on EINTR.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}

func withDefaults(info Info) Info {
	if info.PID == 0 {
		info.PID = os.Getpid()
	}
	if info.Started.IsZero() {
		info.Started = time.Now()
	}
	return info
}

func writeInfo(f *os.File, info Info) error {
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(b, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

// heldError builds the ErrHeld answer from the holder's record.
func heldError(path string) error {
	e := &HeldError{Path: path}
	if b, err := os.ReadFile(path); err == nil {
		if info, err := parseInfo(b); err == nil {
			e.Holder, e.Known = info, true
		}
	}
	return e
}

// Release drops the lock. The record stays in the file (Read then reports
// it as not held). Calling Release again is a no-op returning nil.
func (l *Lock) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	unlockErr := flock(f, syscall.LOCK_UN)
	if err := errors.Join(unlockErr, f.Close()); err != nil {
		return fmt.Errorf("lockfile: release %s: %w", l.path, err)
	}
	return nil
}
