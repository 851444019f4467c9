package deadletter

import (
	"errors"
	"fmt"
)

var (
	// ErrCorrupt is wrapped by every *CorruptError: a dead-letter file
	// that is torn, truncated or fails its checksum.
	ErrCorrupt = errors.New("deadletter: corrupt file")
	// ErrBadName is returned by Read and Remove for a name that is not a
	// dead-letter file name (which also rules out path traversal).
	ErrBadName = errors.New("deadletter: not a dead-letter file name")
)

// CorruptError says which file is unreadable and why.
type CorruptError struct {
	Name   string // file name inside the Log's directory
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("deadletter: corrupt file %s: %s", e.Name, e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }
