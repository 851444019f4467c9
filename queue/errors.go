package queue

import (
	"errors"
	"fmt"
	"syscall"
)

var (
	// ErrClosed is returned by Append, Submit, NextBatch and Ack after
	// Close.
	ErrClosed = errors.New("queue closed")

	// ErrFull is returned by Submit/Append when the queue's on-disk bytes
	// have reached Options.MaxBytes. Nothing of the request was written.
	ErrFull = errors.New("queue full")

	// ErrDiskFull wraps a write or fsync error caused by ENOSPC. The
	// group failed; the queue retired its log and keeps serving.
	ErrDiskFull = errors.New("disk full")

	// ErrInvalidRecord is returned by Submit/Append for a record the
	// envelope cannot hold (unknown kind, tenant longer than 65535 bytes,
	// payload of 4 GiB or more, negative sample count).
	ErrInvalidRecord = errors.New("invalid record")

	// ErrCorruptRecord is returned by DecodeRecord for bytes that are not
	// a valid record envelope.
	ErrCorruptRecord = errors.New("corrupt record")

	// ErrAckMismatch is returned by Ack when the batch is not the one in
	// flight (NextBatch was not called, or the bounds differ).
	ErrAckMismatch = errors.New("ack does not match the batch in flight")
)

// classifyWriteErr wraps a wal write/fsync error for the submitters of the
// failed group, marking ENOSPC with ErrDiskFull.
func classifyWriteErr(name string, err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("queue %s: %w: %w", name, ErrDiskFull, err)
	}
	return fmt.Errorf("queue %s: write: %w", name, err)
}
