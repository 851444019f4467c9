package rw2

import "google.golang.org/protobuf/encoding/protowire"

// Start timestamp fields: remote-write 2.0's Sample.start_timestamp and
// Histogram.start_timestamp (int64, varint), kept under the same numbers
// in the 1.0 messages of the queue's KindSeriesST records.
const (
	SampleSTField    protowire.Number = 3
	HistogramSTField protowire.Number = 17
)

// MaxSTFieldLen is the longest start timestamp field: a two-byte tag and
// a ten-byte varint.
const MaxSTFieldLen = 12

// AppendStartTimestamp appends start timestamp st as field num to dst;
// st 0 (no start timestamp in 2.0) appends nothing.
func AppendStartTimestamp(dst []byte, num protowire.Number, st int64) []byte {
	if st == 0 {
		return dst
	}
	dst = protowire.AppendTag(dst, num, protowire.VarintType)
	return protowire.AppendVarint(dst, uint64(st))
}

// StartTimestamp returns the last varint field num of unknown, the
// unknown fields of a Sample or Histogram, as a start timestamp; 0 when
// there is none or the bytes do not parse.
func StartTimestamp(unknown []byte, num protowire.Number) int64 {
	var st int64
	for len(unknown) > 0 {
		n, typ, l := protowire.ConsumeField(unknown)
		if l < 0 {
			return 0
		}
		if n == num && typ == protowire.VarintType {
			_, _, tl := protowire.ConsumeTag(unknown)
			v, _ := protowire.ConsumeVarint(unknown[tl:l])
			st = int64(v)
		}
		unknown = unknown[l:]
	}
	return st
}
