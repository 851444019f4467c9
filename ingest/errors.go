package ingest

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel causes carried by a DecodeError; test with errors.Is.
var (
	// ErrMalformed: the body is not valid protobuf for its remote-write
	// schema, 1.0 or 2.0 (truncated varint or length, wrong wire type, bad
	// tag).
	ErrMalformed = errors.New("malformed protobuf")
	// ErrInvalidLabels: a series' labels break the label rules (none at
	// all, empty or duplicate name, invalid UTF-8).
	ErrInvalidLabels = errors.New("invalid labels")
	// ErrLimit: a configured size cap (labels per series, name or value
	// length) was exceeded.
	ErrLimit = errors.New("limit exceeded")
	// ErrInvalidHistogram: a native histogram fails Prometheus'
	// validation (model/histogram Validate).
	ErrInvalidHistogram = errors.New("invalid native histogram")
	// ErrInvalidSeries: a remote-write 2.0 series breaks a MUST of the
	// specification other than the label rules (no samples nor
	// histograms, or both; an exemplar without a timestamp; an unknown
	// metadata type).
	ErrInvalidSeries = errors.New("invalid series")
)

// Wire-level causes, wrapped into ErrMalformed by the decoder.
var (
	errTruncated      = errors.New("unexpected end of data")
	errVarintOverflow = errors.New("varint overflows 64 bits")
	errFieldNum       = errors.New("invalid field number")
	errWireType       = errors.New("invalid wire type")
	errEndGroup       = errors.New("unexpected end-group")
	errGroupDepth     = errors.New("groups nested too deep")
	errPacked         = errors.New("invalid packed field")
)

// DecodeError says what is wrong with a request body and where. It is
// returned by the decoder and rendered into the 400 answer.
type DecodeError struct {
	Series   int    // index of the TimeSeries entry, -1 when not inside one
	Metadata int    // index of the MetricMetadata entry, -1 when not inside one
	Label    string // label name involved, "" when none
	Labels   string // the series' labels as parsed, rendered and capped; "" when unknown
	Offset   int    // byte offset in the decoded body where the entry starts
	Err      error  // the cause; wraps ErrMalformed, ErrInvalidLabels, ErrInvalidHistogram or ErrLimit
}

// Error renders e.g. `series 3 {__name__="up", job="a"} (offset 120):
// label "job": duplicate label name`.
func (e *DecodeError) Error() string {
	s := "request"
	switch {
	case e.Series >= 0:
		s = "series " + strconv.Itoa(e.Series)
	case e.Metadata >= 0:
		s = "metadata " + strconv.Itoa(e.Metadata)
	}
	if e.Labels != "" {
		s += " " + e.Labels
	}
	s += " (offset " + strconv.Itoa(e.Offset) + ")"
	if e.Label != "" {
		s += fmt.Sprintf(": label %q", e.Label)
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// malformed wraps a wire-level cause into ErrMalformed, naming the message.
func malformed(msg string, cause error) error {
	return fmt.Errorf("%w: %s: %w", ErrMalformed, msg, cause)
}

// badLabels builds an ErrInvalidLabels cause.
func badLabels(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidLabels, reason)
}

// overLimit builds an ErrLimit cause.
func overLimit(what string, n, max int) error {
	return fmt.Errorf("%w: %s %d exceeds limit %d", ErrLimit, what, n, max)
}
