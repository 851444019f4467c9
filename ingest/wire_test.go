package ingest

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestIsVarint compares isVarint with readVarint on runs of every length
// up to 12 bytes, followed by nothing or by more data.
func TestIsVarint(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		b := make([]byte, rng.IntN(24))
		for j := range b {
			b[j] = byte(rng.IntN(256))
			if rng.IntN(3) > 0 {
				b[j] |= 0x80 // long runs of continuation bytes
			}
		}
		i := rng.IntN(len(b) + 1)
		end := i + rng.IntN(len(b)-i+1)
		_, next, err := readVarint(b[:end], i)
		if want := err == nil && next == end; isVarint(b, i, end) != want {
			t.Fatalf("isVarint(%x, %d, %d) = %v, want %v", b, i, end, !want, want)
		}
	}
}

func TestReadVarint(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 300, 16383, 16384, 1 << 35, 1<<64 - 1} {
		b := binary.AppendUvarint(nil, v)
		got, next, err := readVarint(append(b, 0xff), 0)
		if err != nil || got != v || next != len(b) {
			t.Errorf("readVarint(%x) = %d, %d, %v; want %d, %d", b, got, next, err, v, len(b))
		}
	}
	if _, _, err := readVarint([]byte{0x80}, 0); err != errTruncated {
		t.Errorf("truncated varint: err %v", err)
	}
}
