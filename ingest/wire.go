package ingest

import (
	"encoding/binary"
	"math/bits"
)

// Protobuf wire types.
const (
	wtVarint     = 0
	wtFixed64    = 1
	wtBytes      = 2
	wtStartGroup = 3
	wtEndGroup   = 4
	wtFixed32    = 5
)

const (
	maxFieldNum   = 1<<29 - 1
	maxGroupDepth = 32
)

// field is one decoded wire field. For wtBytes, [start,end) is the payload;
// for every type, [tagStart,next) is the whole entry as found.
type field struct {
	num        uint64
	wt         uint8
	v          uint64 // varint / fixed value
	tagStart   int
	start, end int // payload bounds for wtBytes
}

// readVarint decodes a varint at b[i:]. It rejects varints that are
// truncated or do not fit 64 bits (an 11th byte or a 10th byte above 1).
func readVarint(b []byte, i int) (uint64, int, error) {
	if i < len(b) && b[i] < 0x80 {
		return uint64(b[i]), i + 1, nil
	}
	if i+1 < len(b) && b[i+1] < 0x80 { // two bytes, the first >= 0x80
		return uint64(b[i]&0x7f) | uint64(b[i+1])<<7, i + 2, nil
	}
	var v uint64
	var shift uint
	for j := i; j < len(b); j++ {
		c := b[j]
		if shift == 63 && c > 1 {
			return 0, i, errVarintOverflow
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, j + 1, nil
		}
		shift += 7
	}
	return 0, i, errTruncated
}

// isVarint reports whether b[i:end] is exactly one varint readVarint
// accepts. Up to eight bytes are checked at once: the first byte below
// 0x80 must be the last one.
func isVarint(b []byte, i, end int) bool {
	if n := end - i; n >= 1 && n <= 8 && len(b)-i >= 8 {
		stops := ^binary.LittleEndian.Uint64(b[i:]) & 0x8080808080808080
		return bits.TrailingZeros64(stops) == 8*n-1
	}
	_, next, err := readVarint(b[:end], i)
	return err == nil && next == end
}

// readTag decodes a field tag at b[i:], checking the field number range.
func readTag(b []byte, i int) (num uint64, wt uint8, next int, err error) {
	v, next, err := readVarint(b, i)
	if err != nil {
		return 0, 0, i, err
	}
	num, wt = v>>3, uint8(v&7)
	if num == 0 || num > maxFieldNum {
		return 0, 0, i, errFieldNum
	}
	return num, wt, next, nil
}

// nextField decodes the field starting at b[i:]; len(b) bounds the
// enclosing message. Groups are skipped whole; a stray end-group, wire
// types 6 and 7, and anything running past len(b) are errors.
func nextField(b []byte, i int) (f field, next int, err error) {
	f.tagStart = i
	f.num, f.wt, i, err = readTag(b, i)
	if err != nil {
		return f, i, err
	}
	next, err = fieldValue(b, i, &f, 0)
	return f, next, err
}

// fieldValue decodes the value of f (its tag already read) at b[i:].
func fieldValue(b []byte, i int, f *field, depth int) (int, error) {
	switch f.wt {
	case wtVarint:
		v, next, err := readVarint(b, i)
		f.v = v
		return next, err
	case wtFixed64:
		if len(b)-i < 8 {
			return i, errTruncated
		}
		f.v = binary.LittleEndian.Uint64(b[i:])
		return i + 8, nil
	case wtBytes:
		return readBytes(b, i, f)
	case wtFixed32:
		if len(b)-i < 4 {
			return i, errTruncated
		}
		f.v = uint64(binary.LittleEndian.Uint32(b[i:]))
		return i + 4, nil
	case wtStartGroup:
		return skipGroup(b, i, f.num, depth+1)
	case wtEndGroup:
		return i, errEndGroup
	}
	return i, errWireType
}

// readBytes decodes a length prefix at b[i:] and bounds-checks the payload.
func readBytes(b []byte, i int, f *field) (int, error) {
	n, next, err := readVarint(b, i)
	if err != nil {
		return i, err
	}
	if n > uint64(len(b)-next) {
		return i, errTruncated
	}
	f.start, f.end = next, next+int(n)
	return f.end, nil
}

// skipGroup skips the body of group num up to its matching end-group tag.
func skipGroup(b []byte, i int, num uint64, depth int) (int, error) {
	if depth > maxGroupDepth {
		return i, errGroupDepth
	}
	for i < len(b) {
		var f field
		var err error
		f.num, f.wt, i, err = readTag(b, i)
		if err != nil {
			return i, err
		}
		if f.wt == wtEndGroup {
			if f.num != num {
				return i, errEndGroup
			}
			return i, nil
		}
		if i, err = fieldValue(b, i, &f, depth); err != nil {
			return i, err
		}
	}
	return i, errTruncated
}

// appendVarint appends v in varint encoding.
func appendVarint(dst []byte, v uint64) []byte {
	return binary.AppendUvarint(dst, v)
}
