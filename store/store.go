package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/prws/prws/internal/fsutil"
)

// FileName is the name of the state file inside the data directory.
const FileName = "state.db"

var (
	// ErrLocked is returned by Open when another process (or another Store
	// of this process) has the file open and did not close it within
	// Options.LockTimeout.
	ErrLocked = errors.New("state file is in use by another prws process")
	// ErrCorrupt is returned by Open when the file is not a valid state
	// file. The file is left as it is.
	ErrCorrupt = errors.New("state file is corrupt")
	// ErrNewerFormat is returned by Open when the file was written by a
	// newer prws whose format this one does not know.
	ErrNewerFormat = errors.New("state file format is newer than this prws supports")
)

// Options configure Open. The zero value is ready to use.
type Options struct {
	// LockTimeout is how long Open waits for another holder of the file to
	// let go before it fails with ErrLocked. Default 1s. Longer rides over
	// a slow shutdown of the previous process; shorter fails faster.
	LockTimeout time.Duration
	// ReadOnly opens the file without writing to it (for the CLI on a
	// stopped data dir): buckets are not created, Update fails, and other
	// read-only opens may share the file.
	ReadOnly bool
	// Now is the clock used for backend timestamps. Default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Store is an open state file. It is safe for concurrent use.
type Store struct {
	path string
	opts Options // with defaults applied
	db   *bbolt.DB
}

// Open opens the state file at path, or DATA/state.db when path is a
// directory, creating it if it does not exist. It creates the buckets the
// store owns, records the format version in a new file, and refuses a
// newer one. Errors wrap ErrLocked, ErrCorrupt or ErrNewerFormat where
// they apply and always name the file. The caller must Close the Store.
func Open(path string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, FileName)
	}
	db, err := openBolt(path, opts)
	if err != nil {
		return nil, err
	}
	if !opts.ReadOnly {
		// bbolt fsyncs the file it creates but not its directory: the
		// name state.db is durable only from here on.
		if err := fsutil.SyncDir(filepath.Dir(path)); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
	}
	s := &Store{path: path, opts: opts, db: db}
	if err := s.init(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// openBolt opens the bbolt file and classifies its failures. bbolt may
// panic on a damaged file instead of returning an error; that panic is
// turned into ErrCorrupt too.
func openBolt(path string, opts Options) (db *bbolt.DB, err error) {
	defer func() {
		if p := recover(); p != nil {
			db, err = nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, p)
		}
	}()
	db, err = bbolt.Open(path, 0o600, &bbolt.Options{Timeout: opts.LockTimeout, ReadOnly: opts.ReadOnly})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("%s: %w (still locked after %s; is another prws running on this data dir?)", path, ErrLocked, opts.LockTimeout)
	case isCorruption(err):
		return nil, fmt.Errorf("%w: %s: %v (move it away to start with an empty state)", ErrCorrupt, path, err)
	}
	return nil, fmt.Errorf("store: open %s: %w", path, err)
}

// isCorruption tells a damaged file from an operating-system failure.
// bbolt reports a damaged file with sentinels (invalid, checksum, version
// mismatch) but also with plain errors ("file size too small"), so every
// error that does not carry an OS error is taken for damage.
func isCorruption(err error) bool {
	for _, e := range []error{bolterrors.ErrInvalid, bolterrors.ErrChecksum, bolterrors.ErrVersionMismatch, bolterrors.ErrInvalidMapping} {
		if errors.Is(err, e) {
			return true
		}
	}
	var pathErr *fs.PathError
	var errno syscall.Errno
	return !errors.As(err, &pathErr) && !errors.As(err, &errno)
}

// Path returns the path of the state file.
func (s *Store) Path() string { return s.path }

// Close closes the file, waiting for running transactions to finish.
// Calling it again is a no-op.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}
