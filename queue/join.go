package queue

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/golang/snappy"
)

// A snappy block is a uvarint of the decoded length followed by elements
// (literals and back-references). A back-reference counts from the
// current output position and the first element of a block can only be a
// literal, so the element streams of several blocks, concatenated under
// one header of their summed lengths, form a valid block that decodes to
// the concatenation of their contents: github.com/golang/snappy's own
// encoder joins its 64 KiB chunks the same way. A batch is formed like
// that from its records' stored blocks, with no decompression or
// compression at all; an uncompressed (version 1) payload goes in as one
// literal element.

// maxBlockHeader is the room kept in front of a joined block for its
// length header (a uvarint below 2^32).
const maxBlockHeader = binary.MaxVarintLen32

// maxBlockLen bounds the decoded length of a joined block: every snappy
// decoder takes up to 2^32-1 bytes.
const maxBlockLen = math.MaxUint32

// part is one record's elements in a joined block, so the block can be
// taken apart again when it does not decode as a whole.
type part struct {
	start, end int    // elements, offsets into Batch.Snappy
	n          uint64 // decoded length
}

// joiner builds one batch's block. It is reused from batch to batch by
// the replay goroutine; the block it returns is valid until reset.
type joiner struct {
	buf       []byte // maxBlockHeader bytes of room, then the elements
	total     uint64 // decoded length so far
	parts     []part
	perSample int // stored bytes per sample of the last block, rounded up
}

// joinRetain bounds the block buffer kept from one batch to the next
// beyond what the next batch is expected to need, so one huge batch does
// not pin its memory for ever (a batch of a few thousand samples takes
// a few hundred KiB).
const joinRetain = 2 << 20

// reset starts a new block of at most maxSamples samples. Its buffer is
// sized for that many at the last block's bytes per sample, so a wide
// read (replay's lanes) does not grow it by copying, and a buffer more
// than twice that size and above joinRetain is let go.
func (j *joiner) reset(maxSamples int) {
	want := maxBlockHeader + maxJoinHint
	if j.perSample == 0 || maxSamples < maxJoinHint/j.perSample {
		want = maxBlockHeader + max(maxSamples, 0)*j.perSample
	}
	if c := cap(j.buf); c < maxBlockHeader || c < want || c > max(joinRetain, 2*want) {
		j.buf = make([]byte, maxBlockHeader, max(want, 64<<10))
	}
	j.buf, j.total, j.parts = j.buf[:maxBlockHeader], 0, j.parts[:0]
}

// maxJoinHint caps the buffer reset sizes ahead of need.
const maxJoinHint = 64 << 20

// note records the bytes per sample of the block just built, of samples
// samples, for the next reset.
func (j *joiner) note(samples int) {
	if samples > 0 {
		j.perSample = (len(j.buf) + samples - 1) / samples
	}
}

// release frees the buffers; the next reset allocates them again.
func (j *joiner) release() {
	j.buf, j.parts = nil, nil
}

// maxExpansion bounds decoded bytes per stored byte of a snappy block:
// the densest element, a 3-byte copy, yields 64 bytes.
const maxExpansion = 22

// decodedLen returns the number of remote-write bytes e's payload holds.
// For a FlagSnappy payload that is its block header, which must parse,
// stay below maxBlockLen and be no more than its elements can yield;
// otherwise the error wraps ErrCorruptRecord. The elements themselves are
// not checked: the record CRC covers them.
func decodedLen(e *Envelope) (n uint64, header int, err error) {
	if !e.Compressed() {
		return uint64(len(e.Payload)), 0, nil
	}
	n, header = binary.Uvarint(e.Payload)
	if header <= 0 || n >= maxBlockLen || n > maxExpansion*uint64(len(e.Payload)-header) {
		return 0, 0, fmt.Errorf("%w: snappy payload of record %d: bad length header", ErrCorruptRecord, e.Index)
	}
	return n, header, nil
}

// fits reports whether n more decoded bytes keep the block below
// maxBlockLen.
func (j *joiner) fits(n uint64) bool {
	return j.total+n < maxBlockLen
}

// add appends e's payload, n decoded bytes behind a header of the given
// size (decodedLen's answers for e).
func (j *joiner) add(e *Envelope, n uint64, header int) {
	start := len(j.buf)
	if e.Compressed() {
		j.buf = append(j.buf, e.Payload[header:]...)
	} else if len(e.Payload) > 0 {
		j.buf = appendLiteral(j.buf, e.Payload)
	}
	j.parts = append(j.parts, part{start: start, end: len(j.buf), n: n})
	j.total += n
}

// block writes the header and returns the joined block with the parts'
// offsets into it. Both alias the joiner's buffers.
func (j *joiner) block() ([]byte, []part) {
	h := uvarintLen(int(j.total))
	at := maxBlockHeader - h
	binary.PutUvarint(j.buf[at:], j.total)
	for i := range j.parts {
		j.parts[i].start -= at
		j.parts[i].end -= at
	}
	return j.buf[at:], j.parts
}

// appendLiteral appends lit as one snappy literal element (the format's
// tag 0b00: the length minus one in the tag's upper six bits below 60,
// else in the 1 to 4 bytes that follow).
func appendLiteral(dst, lit []byte) []byte {
	n := uint32(len(lit) - 1)
	switch {
	case n < 60:
		dst = append(dst, byte(n)<<2)
	case n < 1<<8:
		dst = append(dst, 60<<2, byte(n))
	case n < 1<<16:
		dst = append(dst, 61<<2, byte(n), byte(n>>8))
	case n < 1<<24:
		dst = append(dst, 62<<2, byte(n), byte(n>>8), byte(n>>16))
	default:
		dst = append(dst, 63<<2, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	}
	return append(dst, lit...)
}

// AppendBody appends the batch's uncompressed remote-write 1.0
// WriteRequest (the concatenated record payloads) to dst. A block that
// does not decode as a whole (a record whose elements were damaged under
// a valid CRC, which the join does not inspect) is decoded record by
// record: the records that decode are appended, the others left out, and
// the error wraps ErrCorruptRecord with their number. Without record
// bounds (a Batch not made by NextBatch) it appends nothing on error.
// Safe to call while b is valid; it does not modify b.
func (b *Batch) AppendBody(dst []byte) ([]byte, error) {
	start := len(dst)
	if n, err := snappy.DecodedLen(b.Snappy); err == nil {
		dst = growTo(dst, start+n)
		if out, err := snappy.Decode(dst[start:], b.Snappy); err == nil && len(out) == n {
			return dst, nil
		}
	}
	dst = dst[:start]
	bad := 0
	var tmp []byte
	for _, p := range b.parts {
		tmp = binary.AppendUvarint(tmp[:0], p.n)
		tmp = append(tmp, b.Snappy[p.start:p.end]...)
		at := len(dst)
		dst = growTo(dst, at+int(p.n))
		if out, err := snappy.Decode(dst[at:], tmp); err != nil || uint64(len(out)) != p.n {
			dst = dst[:at]
			bad++
		}
	}
	switch {
	case len(b.parts) == 0:
		return dst, fmt.Errorf("%w: batch %d..%d does not decompress", ErrCorruptRecord, b.First, b.Last)
	case bad > 0:
		return dst, fmt.Errorf("%w: %d of %d records of batch %d..%d do not decompress",
			ErrCorruptRecord, bad, len(b.parts), b.First, b.Last)
	}
	return dst, nil
}

// Forget drops b's references to the queue's buffers (Snappy and the
// record bounds), keeping its bounds and counts.
func (b *Batch) Forget() {
	b.Snappy, b.parts = nil, nil
}
