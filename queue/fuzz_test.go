package queue

import (
	"bytes"
	"testing"

	"github.com/golang/snappy"
)

// FuzzDecodeRecord checks that DecodeRecord and the batch join and
// decompression of replay never panic on untrusted bytes and that
// whatever DecodeRecord accepts re-encodes to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(EncodeRecord(nil, &Envelope{Kind: KindSeries, Index: 1, Samples: 1, CumSamples: 1, Payload: []byte("x")}))
	f.Add(EncodeRecord(nil, &Envelope{Kind: KindMetadata, Index: 2, Tenant: []byte("tenant")}))
	f.Add(tombstone(3))
	f.Add([]byte{})
	f.Add(appendRecord(nil, &Envelope{Kind: KindSeries, Index: 4, Samples: 2, CumSamples: 9},
		"tenant", bytes.Repeat([]byte("\n\x05hello"), 40), nil, true))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeRecord(b)
		if err != nil {
			return
		}
		if again := EncodeRecord(nil, &e); !bytes.Equal(again, b) {
			t.Fatalf("accepted %x but re-encodes to %x", b, again)
		}
		b2, jerr := joinOne(&e)
		if jerr != nil {
			return
		}
		body, err := b2.AppendBody([]byte("x"))
		want, werr := e.Payload, error(nil)
		if e.Compressed() {
			want, werr = snappy.Decode(nil, e.Payload)
		}
		switch {
		case body[0] != 'x':
			t.Fatal("AppendBody changed dst")
		case (err == nil) != (werr == nil):
			t.Fatalf("AppendBody: %v, snappy.Decode: %v", err, werr)
		case err == nil && !bytes.Equal(body[1:], want):
			t.Fatal("joined payload decodes to other bytes")
		}
	})
}
