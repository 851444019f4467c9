package replay

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/prws/prws/internal/rw2"
)

// errWire: a batch body is not the protobuf the queue stores.
var errWire = errors.New("malformed protobuf")

// stStripper rewrites a remote-write 1.0 WriteRequest without the start
// timestamp fields, for a 1.0 backend, which has no field for them. It
// is reused from batch to batch by one worker; not safe for concurrent
// use.
type stStripper struct {
	ts, msg []byte // scratch: the TimeSeries and the Sample/Histogram being rebuilt
}

// strip appends body without start timestamp fields to dst and returns
// it with the number of samples and histograms that had one. Every other
// byte is kept as it is, in its order.
func (s *stStripper) strip(dst, body []byte) ([]byte, int, error) {
	dropped := 0
	for len(body) > 0 {
		num, typ, n := protowire.ConsumeField(body)
		if n < 0 {
			return dst, 0, fmt.Errorf("%w: WriteRequest: %w", errWire, protowire.ParseError(n))
		}
		field := body[:n]
		body = body[n:]
		if num != 1 || typ != protowire.BytesType {
			dst = append(dst, field...)
			continue
		}
		ts, err := messageOf(field)
		if err != nil {
			return dst, 0, err
		}
		var d int
		if s.ts, d, err = s.series(s.ts[:0], ts); err != nil {
			return dst, 0, err
		}
		dropped += d
		dst = protowire.AppendTag(dst, 1, protowire.BytesType)
		dst = protowire.AppendBytes(dst, s.ts)
	}
	return dst, dropped, nil
}

// series appends the TimeSeries body ts without start timestamps.
func (s *stStripper) series(dst, ts []byte) ([]byte, int, error) {
	dropped := 0
	for len(ts) > 0 {
		num, typ, n := protowire.ConsumeField(ts)
		if n < 0 {
			return dst, 0, fmt.Errorf("%w: TimeSeries: %w", errWire, protowire.ParseError(n))
		}
		field := ts[:n]
		ts = ts[n:]
		drop := rw2.SampleSTField
		if num == 4 {
			drop = rw2.HistogramSTField
		}
		if num != 2 && num != 4 || typ != protowire.BytesType {
			dst = append(dst, field...)
			continue
		}
		msg, err := messageOf(field)
		if err != nil {
			return dst, 0, err
		}
		var had bool
		if s.msg, had, err = without(s.msg[:0], msg, drop); err != nil {
			return dst, 0, err
		}
		if had {
			dropped++
		}
		dst = protowire.AppendTag(dst, num, protowire.BytesType)
		dst = protowire.AppendBytes(dst, s.msg)
	}
	return dst, dropped, nil
}

// without appends msg without its varint fields numbered drop and
// reports whether it had one.
func without(dst, msg []byte, drop protowire.Number) ([]byte, bool, error) {
	had := false
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeField(msg)
		if n < 0 {
			return dst, false, fmt.Errorf("%w: %w", errWire, protowire.ParseError(n))
		}
		if num == drop && typ == protowire.VarintType {
			had = true
		} else {
			dst = append(dst, msg[:n]...)
		}
		msg = msg[n:]
	}
	return dst, had, nil
}

// messageOf returns the payload of a length-delimited field (tag
// included in field).
func messageOf(field []byte) ([]byte, error) {
	_, _, n := protowire.ConsumeTag(field)
	if n < 0 {
		return nil, fmt.Errorf("%w: %w", errWire, protowire.ParseError(n))
	}
	v, m := protowire.ConsumeBytes(field[n:])
	if m < 0 {
		return nil, fmt.Errorf("%w: %w", errWire, protowire.ParseError(m))
	}
	return v, nil
}
