package queue

import (
	"encoding/binary"
	"fmt"

	"github.com/golang/snappy"
)

// EachBody calls fn with the uncompressed payload of each record of b,
// in order, decompressed into buf (grown as needed; the slice fn gets is
// valid only during the call), and returns buf for reuse. It holds one
// record at a time, not the whole batch as AppendBody does. A record that
// does not decode is left out and counted in the returned error, which
// wraps ErrCorruptRecord; an error from fn stops the walk and is
// returned. Without record bounds (a Batch not made by NextBatch) the
// block is decoded whole, as one payload. Safe to call while b is valid;
// it does not modify b.
func (b *Batch) EachBody(buf []byte, fn func(body []byte) error) ([]byte, error) {
	if len(b.parts) == 0 {
		n, err := snappy.DecodedLen(b.Snappy)
		if err != nil {
			return buf, fmt.Errorf("%w: batch %d..%d does not decompress", ErrCorruptRecord, b.First, b.Last)
		}
		buf = growTo(buf[:0], n)
		out, err := snappy.Decode(buf, b.Snappy)
		if err != nil {
			return buf, fmt.Errorf("%w: batch %d..%d does not decompress", ErrCorruptRecord, b.First, b.Last)
		}
		return buf, fn(out)
	}
	var block []byte
	bad := 0
	for _, p := range b.parts {
		// The record's elements under its own length header: one
		// snappy block of that record alone.
		block = binary.AppendUvarint(block[:0], p.n)
		block = append(block, b.Snappy[p.start:p.end]...)
		buf = growTo(buf[:0], int(p.n))
		out, err := snappy.Decode(buf, block)
		if err != nil || uint64(len(out)) != p.n {
			bad++
			continue
		}
		if err := fn(out); err != nil {
			return buf, err
		}
	}
	if bad > 0 {
		return buf, fmt.Errorf("%w: %d of %d records of batch %d..%d do not decompress",
			ErrCorruptRecord, bad, len(b.parts), b.First, b.Last)
	}
	return buf, nil
}
