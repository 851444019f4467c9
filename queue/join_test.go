package queue

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/golang/snappy"
)

// TestJoinDecodesToConcatenation joins compressed and uncompressed
// payloads of every literal-length class and checks that the block
// decodes, with the stock decoder, to their concatenation.
func TestJoinDecodesToConcatenation(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var payloads [][]byte
	for _, n := range []int{0, 1, 59, 60, 61, 255, 256, 257, 65535, 65536, 65537, 1<<24 + 1} {
		payloads = append(payloads, randomBytes(r, n))
	}
	payloads = append(payloads, seriesPayload(0, 1), seriesPayload(1, 300), bytes.Repeat([]byte("ab"), 100_000))
	var want []byte
	var j joiner
	j.reset(0)
	for i, p := range payloads {
		want = append(want, p...)
		e := appendRecord(nil, &Envelope{Kind: KindSeries, Index: uint64(i + 1)}, "", p, nil, true)
		env, err := DecodeRecord(e)
		if err != nil {
			t.Fatal(err)
		}
		n, header, err := decodedLen(&env)
		if err != nil || n != uint64(len(p)) {
			t.Fatalf("payload %d: decodedLen %d, %v; want %d", i, n, err, len(p))
		}
		j.add(&env, n, header)
	}
	block, parts := j.block()
	got, err := snappy.Decode(nil, block)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("joined block: %v, %d bytes, want %d", err, len(got), len(want))
	}
	b := Batch{Snappy: block, parts: parts}
	if got, err := b.AppendBody(nil); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("AppendBody: %v", err)
	}
	// Taken apart, the parts decode one by one to the payloads.
	for i, p := range parts {
		one := append(binary.AppendUvarint(nil, p.n), block[p.start:p.end]...)
		if got, err := snappy.Decode(nil, one); err != nil || !bytes.Equal(got, payloads[i]) {
			t.Fatalf("part %d: %v", i, err)
		}
	}
}

func TestDecodedLenRefusesImpossibleHeaders(t *testing.T) {
	for name, payload := range map[string][]byte{
		"unterminated":      {0x80, 0x80},
		"empty":             {},
		"2^32":              {0x80, 0x80, 0x80, 0x80, 0x10, 0x00},
		"more than it says": append(binary.AppendUvarint(nil, 23*4), 1, 2, 3, 4),
	} {
		e := Envelope{Flags: FlagSnappy, Payload: payload}
		if _, _, err := decodedLen(&e); !errors.Is(err, ErrCorruptRecord) {
			t.Errorf("%s: %v, want ErrCorruptRecord", name, err)
		}
	}
}

func TestAppendBodyWithoutPartsFails(t *testing.T) {
	b := Batch{First: 3, Last: 4, Snappy: []byte{0x05, 0xff}}
	got, err := b.AppendBody([]byte("x"))
	if !errors.Is(err, ErrCorruptRecord) || string(got) != "x" {
		t.Fatalf("AppendBody: %q, %v", got, err)
	}
}
