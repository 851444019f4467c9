package deadletter

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prws/prws/internal/fsutil"
)

const (
	suffix    = ".dl"
	tmpPrefix = ".tmp-"
	nameLen   = 20 + len(suffix)
)

// Entry is one refused batch.
type Entry struct {
	Time    time.Time // when the backend refused it; zero → time of Write
	Backend string    // the backend's redacted URL; never credentials
	Status  int       // the HTTP status the backend answered
	Message string    // backend's error text; truncated to MaxMessage bytes
	Samples int
	First   uint64 // queue record indexes of the batch, inclusive
	Last    uint64
	Tenant  string
	Body    []byte // the uncompressed remote-write 1.0 WriteRequest
}

// Log is the dead-letter directory of one backend. Safe for concurrent
// use; see the package documentation for other processes.
type Log struct {
	dir string

	mu   sync.Mutex // guards last
	last int64      // highest name number handed out or found at Open
}

// Open opens the dead-letter log in dir, creating the directory when
// missing (durably: dir and its parent have their names fsynced into
// their parents) and deleting temporary files a crash left behind.
func Open(dir string) (*Log, error) {
	if err := fsutil.MkdirDurable(dir, filepath.Dir(dir), 0o750); err != nil {
		return nil, fmt.Errorf("deadletter: open: %w", err)
	}
	l := &Log{dir: dir}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("deadletter: open: %w", err)
	}
	for _, de := range ents {
		name := de.Name()
		if strings.HasPrefix(name, tmpPrefix) && strings.HasSuffix(name, suffix) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return nil, fmt.Errorf("deadletter: remove leftover: %w", err)
			}
		} else if n, ok := parseName(name); ok {
			l.last = max(l.last, n)
		}
	}
	return l, nil
}

// Path returns the directory of the log.
func (l *Log) Path() string { return l.dir }

// Write stores e durably and returns once it is on disk (see the package
// guarantees). e.Body is not retained. Safe for concurrent use.
func (l *Log) Write(e Entry) error {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	head, err := encode(e)
	if err != nil {
		return err
	}
	name := l.allocName(e.Time)
	tmp := filepath.Join(l.dir, tmpPrefix+name)
	if err := writeFile(tmp, head, e.Body); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("deadletter: write %s: %w", name, err)
	}
	if err := os.Rename(tmp, filepath.Join(l.dir, name)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("deadletter: write %s: %w", name, err)
	}
	return l.syncDir()
}

// allocName returns a name unique in this process and later than every
// name found at Open, close to t.
func (l *Log) allocName(t time.Time) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last = max(t.UnixNano(), l.last+1)
	return formatName(l.last)
}

func writeFile(path string, head, body []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	_, err = f.Write(head)
	if err == nil {
		_, err = f.Write(body)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (l *Log) syncDir() error {
	if err := fsutil.SyncDir(l.dir); err != nil {
		return fmt.Errorf("deadletter: sync dir: %w", err)
	}
	return nil
}

// Remove deletes one dead letter (after a replay or a purge). A missing
// file yields an error wrapping fs.ErrNotExist. Safe for concurrent use.
func (l *Log) Remove(name string) error {
	if _, ok := parseName(name); !ok {
		return fmt.Errorf("%w: %q", ErrBadName, name)
	}
	if err := os.Remove(filepath.Join(l.dir, name)); err != nil {
		return fmt.Errorf("deadletter: remove: %w", err)
	}
	return l.syncDir()
}

func formatName(n int64) string { return fmt.Sprintf("%020d%s", n, suffix) }

// parseName reports whether name is a dead-letter file name and returns
// its number.
func parseName(name string) (int64, bool) {
	if len(name) != nameLen || !strings.HasSuffix(name, suffix) {
		return 0, false
	}
	digits := name[:20]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, err == nil
}
