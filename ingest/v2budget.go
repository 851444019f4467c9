package ingest

import (
	"unsafe"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"

	"github.com/prws/prws/internal/rw2"
)

// Bytes of memory a decoded and converted element may take, per element
// or per byte of its encoding: the 2.0 struct, the 1.0 struct it becomes,
// and what their slices hold. Upper bounds for estimateV2.
const (
	costSymbol   = int64(unsafe.Sizeof("")) + 1
	costSeries   = int64(unsafe.Sizeof(writev2.TimeSeries{}) + unsafe.Sizeof(prompb.TimeSeries{}) + unsafe.Sizeof(writtenCounts{}) + unsafe.Sizeof(prompb.MetricMetadata{}))
	costRefByte  = int64(unsafe.Sizeof(uint32(0)) + unsafe.Sizeof(prompb.Label{}))
	costSample   = int64(unsafe.Sizeof(writev2.Sample{})+unsafe.Sizeof(prompb.Sample{})) + rw2.MaxSTFieldLen
	costHist     = int64(unsafe.Sizeof(writev2.Histogram{})+unsafe.Sizeof(prompb.Histogram{})) + 64 + rw2.MaxSTFieldLen // + oneof boxes
	costHistByte = int64(unsafe.Sizeof(writev2.BucketSpan{}) + unsafe.Sizeof(prompb.BucketSpan{}))
	costExemplar = int64(unsafe.Sizeof(writev2.Exemplar{}) + unsafe.Sizeof(prompb.Exemplar{}))
)

// estimateV2 walks a remote-write 2.0 body at the wire level and returns
// an upper estimate of the memory decoding and converting it takes, so a
// small body that would explode into millions of structs is refused
// before it is decoded. Slice growth doubles at most, hence the factor 2.
// A wire error is returned as is.
func estimateV2(b []byte) (int64, error) {
	n := int64(len(b))
	for i := 0; i < len(b); {
		f, next, err := nextField(b, i)
		if err != nil {
			return 0, err
		}
		switch {
		case f.num == 4 && f.wt == wtBytes:
			n += costSymbol + int64(f.end-f.start)
		case f.num == 5 && f.wt == wtBytes:
			c, err := estimateSeries(b[:f.end], f.start)
			if err != nil {
				return 0, err
			}
			n += c
		}
		i = next
	}
	return 2 * n, nil
}

// estimateSeries estimates one TimeSeries body b[start:].
func estimateSeries(b []byte, start int) (int64, error) {
	n := costSeries
	for i := start; i < len(b); {
		f, next, err := nextField(b, i)
		if err != nil {
			return 0, err
		}
		size := int64(next - i)
		switch f.num {
		case 1:
			n += size * costRefByte
		case 2:
			n += costSample
		case 3:
			n += costHist + size*costHistByte
		case 4:
			n += costExemplar + size*costRefByte
		}
		i = next
	}
	return n, nil
}
