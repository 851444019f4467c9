package queue

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/klauspost/compress/s2"
)

// Kind says what a record's payload holds.
type Kind uint8

const (
	// KindSeries: concatenated remote-write 1.0 WriteRequest field-1
	// (TimeSeries) entries, tag and length included.
	KindSeries Kind = 1
	// KindMetadata: concatenated WriteRequest field-3 (MetricMetadata) entries.
	KindMetadata Kind = 2
	// KindSeriesST: KindSeries entries whose Sample and Histogram
	// messages may carry the start (created) timestamp of remote-write
	// 2.0, as the field number and type 2.0 gives it there (Sample field
	// 3, Histogram field 17, int64), which a 1.0 decoder skips as
	// unknown. Submit accepts it as a Record kind and stores it as
	// KindSeries with FlagStart, so a release that predates it delivers
	// the series without their start timestamps rather than skip them;
	// an Envelope read back says KindSeries and FlagStart.
	KindSeriesST Kind = 3
	// KindTombstone marks an index whose record was lost (written by
	// repair to keep indexes continuous). It is never delivered and is
	// counted as corrupt when skipped. Submit refuses it.
	KindTombstone Kind = 0x7f
)

// FlagStart marks a KindSeries record whose payload may carry start
// timestamp fields (see KindSeriesST); the batches it joins say so
// (Batch.StartTimestamps), so that replay strips them for a 1.0 backend
// and reads them for a 2.0 one. Any envelope version may have it.
const FlagStart uint8 = 0x02

// FlagSnappy marks a record whose stored payload is one snappy block of
// the remote-write bytes (Submit writes it with s2.EncodeSnappy of
// github.com/klauspost/compress, whose output any snappy decoder reads). Such a
// record carries envelope version 2, so a prws that predates compression
// skips it as corrupt rather than delivering compressed bytes; version 1
// never has the flag.
const FlagSnappy uint8 = 0x01

const (
	recordMagic = 0xb7
	// recordVersion is the envelope of an uncompressed payload,
	// recordVersionSnappy that of a FlagSnappy one; same layout.
	recordVersion       = 1
	recordVersionSnappy = 2
	// compressMin is the smallest payload Submit compresses; below it
	// the snappy header and call cost more than they save.
	compressMin = 256
	// Envelope layout (little-endian):
	//   0 magic, 1 version, 2 kind, 3 flags, 4..8 CRC-32C of everything
	//   after the CRC field, seeded with bytes 0..4 (so kind and flags
	//   are covered too),
	//   8 index u64, 16 append time unix ms i64, 24 samples u32,
	//   28 cumulative samples u64, 36 tenant length u16, 38 tenant,
	//   payload length u32, payload as stored (compressed under
	//   FlagSnappy; the length and the CRC are those of the stored bytes).
	crcOffset    = 4
	tenantOffset = 38
	// RecordOverhead is the size of an envelope with empty tenant and
	// payload.
	RecordOverhead = tenantOffset + 4
)

// castagnoli is the CRC-32C table; read-only after package initialisation.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Envelope is one record as stored in the wal.
type Envelope struct {
	Kind       Kind
	Flags      uint8  // FlagSnappy, FlagStart, or bits without meaning to prws
	Index      uint64 // the record's wal index
	AppendedMs int64  // append time, unix milliseconds
	Samples    uint32 // samples + histograms in Payload
	CumSamples uint64 // queue samples up to and including this record
	Tenant     []byte
	Payload    []byte // as stored: a snappy block under FlagSnappy
}

// EncodedSize is the number of bytes EncodeRecord appends for e.
func (e *Envelope) EncodedSize() int {
	return RecordOverhead + len(e.Tenant) + len(e.Payload)
}

// EncodeRecord appends the envelope of e to dst and returns the extended
// slice, storing Payload as given: with FlagSnappy in Flags it must
// already be a snappy block. Tenant must be shorter than 64 KiB and
// Payload shorter than 4 GiB (Submit checks this). It does not retain e's
// slices.
func EncodeRecord(dst []byte, e *Envelope) []byte {
	start := len(dst)
	dst = appendHeader(dst, e, e.Tenant)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(e.Payload)))
	dst = append(dst, e.Payload...)
	return sealRecord(dst, start)
}

// appendRecord is Submit's encoder: it appends e's header fields with
// tenant and payload (e's own Tenant, Payload and Flags are ignored, and
// its Kind KindSeriesST is stored as KindSeries with FlagStart), so
// a string tenant needs no conversion. The payload is stored as block
// under FlagSnappy when block is not nil (Compress's block of payload),
// else, when compress is set, compressed straight into dst if Compress
// would store it so, else as is.
func appendRecord[T string | []byte](dst []byte, e *Envelope, tenant T, payload, block []byte, compress bool) []byte {
	start := len(dst)
	h := *e
	h.Kind, h.Flags = storedKind(e.Kind)
	if block != nil || compress && len(payload) >= compressMin {
		h.Flags |= FlagSnappy
		dst = appendHeader(dst, &h, tenant)
		lenAt := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		ok := block != nil
		if ok {
			dst = append(dst, block...)
		} else {
			dst, ok = Compress(dst, payload)
		}
		if ok {
			binary.LittleEndian.PutUint32(dst[lenAt:], uint32(len(dst)-lenAt-4))
			return sealRecord(dst, start)
		}
		dst, h.Flags = dst[:start], h.Flags&^FlagSnappy // incompressible: stored as is
	}
	dst = appendHeader(dst, &h, tenant)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = append(dst, payload...)
	return sealRecord(dst, start)
}

// storedKind returns the kind and flags a record of kind k is stored
// with: KindSeriesST is KindSeries with FlagStart.
func storedKind(k Kind) (Kind, uint8) {
	if k == KindSeriesST {
		return KindSeries, FlagStart
	}
	return k, 0
}

// Compress appends payload to dst as the snappy block Submit stores for
// it and reports true, or returns dst unchanged and false when the
// payload is stored raw: shorter than compressMin bytes, or not made
// smaller. A caller submitting one payload to several queues compresses
// it once and passes the block as Record.Block. Safe for concurrent use.
func Compress(dst, payload []byte) ([]byte, bool) {
	room := s2.MaxEncodedLen(len(payload))
	if len(payload) < compressMin || room <= 0 {
		return dst, false
	}
	at := len(dst)
	dst = growTo(dst, at+room)
	z := s2.EncodeSnappy(dst[at:], payload)
	if len(z) >= len(payload) {
		return dst[:at], false
	}
	return dst[:at+len(z)], true
}

// appendHeader appends everything before the payload length: magic,
// version (from FlagSnappy), kind, flags, a zero CRC, the fixed fields
// and the tenant.
func appendHeader[T string | []byte](dst []byte, e *Envelope, tenant T) []byte {
	version := byte(recordVersion)
	if e.Flags&FlagSnappy != 0 {
		version = recordVersionSnappy
	}
	dst = append(dst, recordMagic, version, byte(e.Kind), e.Flags, 0, 0, 0, 0)
	dst = binary.LittleEndian.AppendUint64(dst, e.Index)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(e.AppendedMs))
	dst = binary.LittleEndian.AppendUint32(dst, e.Samples)
	dst = binary.LittleEndian.AppendUint64(dst, e.CumSamples)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(tenant)))
	return append(dst, tenant...)
}

// sealRecord writes the CRC of the record dst[start:] and returns dst.
func sealRecord(dst []byte, start int) []byte {
	rec := dst[start:]
	binary.LittleEndian.PutUint32(rec[crcOffset:], recordCRC(rec))
	return dst
}

// growTo returns dst with length n, its first len(dst) bytes kept.
func growTo(dst []byte, n int) []byte {
	if n <= cap(dst) {
		return dst[:n]
	}
	grown := make([]byte, n, n+n/4)
	copy(grown, dst)
	return grown
}

// DecodeRecord parses one envelope. The returned Tenant and Payload alias
// b: the caller must copy them to keep them past b's lifetime. Any
// mismatch (magic, version, CRC, lengths) returns an error wrapping
// ErrCorruptRecord; DecodeRecord never panics, whatever b holds.
func DecodeRecord(b []byte) (Envelope, error) {
	if len(b) < RecordOverhead {
		return Envelope{}, fmt.Errorf("%w: %d bytes, shorter than the header", ErrCorruptRecord, len(b))
	}
	if b[0] != recordMagic || (b[1] != recordVersion && b[1] != recordVersionSnappy) {
		return Envelope{}, fmt.Errorf("%w: bad magic/version %#x/%d", ErrCorruptRecord, b[0], b[1])
	}
	if (b[1] == recordVersionSnappy) != (b[3]&FlagSnappy != 0) {
		return Envelope{}, fmt.Errorf("%w: version %d with flags %#x", ErrCorruptRecord, b[1], b[3])
	}
	if got, want := recordCRC(b), binary.LittleEndian.Uint32(b[crcOffset:]); got != want {
		return Envelope{}, fmt.Errorf("%w: crc %08x, want %08x", ErrCorruptRecord, got, want)
	}
	tlen := int(binary.LittleEndian.Uint16(b[36:]))
	if len(b) < RecordOverhead+tlen {
		return Envelope{}, fmt.Errorf("%w: tenant length %d overruns the record", ErrCorruptRecord, tlen)
	}
	plenOff := tenantOffset + tlen
	plen := uint64(binary.LittleEndian.Uint32(b[plenOff:]))
	if uint64(len(b)-plenOff-4) != plen {
		return Envelope{}, fmt.Errorf("%w: payload length %d, record has %d", ErrCorruptRecord, plen, len(b)-plenOff-4)
	}
	return Envelope{
		Kind:       Kind(b[2]),
		Flags:      b[3],
		Index:      binary.LittleEndian.Uint64(b[8:]),
		AppendedMs: int64(binary.LittleEndian.Uint64(b[16:])),
		Samples:    binary.LittleEndian.Uint32(b[24:]),
		CumSamples: binary.LittleEndian.Uint64(b[28:]),
		Tenant:     b[tenantOffset:plenOff:plenOff],
		Payload:    b[plenOff+4:],
	}, nil
}

// StartTimestamps reports whether e's Payload may carry start timestamp
// fields (FlagStart).
func (e *Envelope) StartTimestamps() bool {
	return e.Flags&FlagStart != 0
}

// Compressed reports whether e's Payload is a snappy block.
func (e *Envelope) Compressed() bool {
	return e.Flags&FlagSnappy != 0
}

// recordCRC is the CRC-32C of the first four bytes and everything after
// the CRC field of an encoded record.
func recordCRC(rec []byte) uint32 {
	return crc32.Update(crc32.Checksum(rec[:crcOffset], castagnoli), castagnoli, rec[crcOffset+4:])
}

// deliverable reports whether e carries data for a backend.
func (e *Envelope) deliverable() bool {
	return e.Kind == KindSeries || e.Kind == KindMetadata
}

// validateRecords checks that every record fits the envelope.
func validateRecords(recs []Record) error {
	for i := range recs {
		r := &recs[i]
		switch {
		case r.Kind != KindSeries && r.Kind != KindMetadata && r.Kind != KindSeriesST:
			return fmt.Errorf("%w: record %d: kind %d", ErrInvalidRecord, i, r.Kind)
		case len(r.Tenant) > math.MaxUint16:
			return fmt.Errorf("%w: record %d: tenant of %d bytes", ErrInvalidRecord, i, len(r.Tenant))
		case uint64(len(r.Payload)) >= math.MaxUint32:
			return fmt.Errorf("%w: record %d: payload of %d bytes", ErrInvalidRecord, i, len(r.Payload))
		case r.Samples < 0 || uint64(r.Samples) > math.MaxUint32:
			return fmt.Errorf("%w: record %d: %d samples", ErrInvalidRecord, i, r.Samples)
		case r.Block != nil && r.Raw:
			return fmt.Errorf("%w: record %d: both a block and Raw", ErrInvalidRecord, i)
		case r.Block != nil && !blockHolds(r.Block, len(r.Payload)):
			return fmt.Errorf("%w: record %d: block does not announce the payload's %d bytes", ErrInvalidRecord, i, len(r.Payload))
		}
	}
	return nil
}

// blockHolds reports whether block's snappy length header announces n
// bytes.
func blockHolds(block []byte, n int) bool {
	v, h := binary.Uvarint(block)
	return h > 0 && v == uint64(n)
}

// tombstone returns the envelope repair writes for a lost index.
func tombstone(index uint64) []byte {
	return EncodeRecord(nil, &Envelope{Kind: KindTombstone, Index: index})
}
