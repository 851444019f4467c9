package lockfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// FileName is the name of the lock file inside the data directory.
const FileName = "LOCK"

// ErrHeld is returned by Acquire when another process (or another Lock of
// this process) holds the data directory. The error is a *HeldError that
// names the holder.
var ErrHeld = errors.New("data directory is in use by another prws process")

// ErrNoInfo is returned by Read when the lock file does not hold a valid
// record, e.g. while its holder is still writing it.
var ErrNoInfo = errors.New("lock file holds no valid process record")

// Info is the record a lock holder writes into the lock file.
type Info struct {
	// PID of the holder; Acquire fills in os.Getpid() when zero.
	PID int `json:"pid"`
	// Listen is the holder's HTTP listen address (host:port), the way to
	// reach its admin API. May be empty.
	Listen string `json:"listen"`
	// Started is when the holder started; Acquire fills in the current
	// time when zero.
	Started time.Time `json:"started"`
}

// HeldError is the error of an Acquire that found the lock held. It
// matches ErrHeld with errors.Is.
type HeldError struct {
	// Path of the lock file.
	Path string
	// Holder is the record read from the lock file; zero when Known is false.
	Holder Info
	// Known reports whether the record could be read.
	Known bool
}

func (e *HeldError) Error() string {
	if !e.Known {
		return fmt.Sprintf("%s: %v (pid unknown: %s holds no valid record yet)", e.Path, ErrHeld, FileName)
	}
	return fmt.Sprintf("%s: %v (pid %d, listening on %q, started %s)",
		e.Path, ErrHeld, e.Holder.PID, e.Holder.Listen, e.Holder.Started.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrHeld) true.
func (e *HeldError) Is(target error) bool { return target == ErrHeld }

// parseInfo decodes a lock file's content.
func parseInfo(b []byte) (Info, error) {
	var info Info
	if err := json.Unmarshal(b, &info); err != nil || info.PID <= 0 {
		return Info{}, ErrNoInfo
	}
	return info, nil
}
