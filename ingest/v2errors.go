package ingest

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrSymbolRef: a remote-write 2.0 request refers to a symbol outside its
// symbols table, or its table does not start with the empty string.
var ErrSymbolRef = errors.New("invalid symbol reference")

// v2Error says what is wrong with a remote-write 2.0 request and where.
// It is rendered into the 400 answer; its cause wraps ErrMalformed,
// ErrInvalidLabels, ErrLimit or ErrSymbolRef.
type v2Error struct {
	series int    // index of the TimeSeries, -1 when not inside one
	label  string // label name involved, "" when none
	err    error
}

// Error renders e.g. `series 3: label "job": duplicate label name`.
func (e *v2Error) Error() string {
	s := "request"
	if e.series >= 0 {
		s = "series " + strconv.Itoa(e.series)
	}
	if e.label != "" {
		s += fmt.Sprintf(": label %q", e.label)
	}
	return s + ": " + e.err.Error()
}

// Unwrap returns the cause.
func (e *v2Error) Unwrap() error { return e.err }

// badRef builds an ErrSymbolRef cause for ref in a table of n symbols.
func badRef(what string, ref uint32, n int) error {
	return fmt.Errorf("%w: %s %d outside symbols table of %d", ErrSymbolRef, what, ref, n)
}
