package queue

import (
	"bytes"
	"testing"
)

// FuzzDecodeRecord checks that DecodeRecord and the payload
// decompression of replay never panic on untrusted bytes and that
// whatever DecodeRecord accepts re-encodes to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(EncodeRecord(nil, &Envelope{Kind: KindSeries, Index: 1, Samples: 1, CumSamples: 1, Payload: []byte("x")}))
	f.Add(EncodeRecord(nil, &Envelope{Kind: KindMetadata, Index: 2, Tenant: []byte("tenant")}))
	f.Add(tombstone(3))
	f.Add([]byte{})
	f.Add(appendRecord(nil, &Envelope{Kind: KindSeries, Index: 4, Samples: 2, CumSamples: 9},
		"tenant", bytes.Repeat([]byte("\n\x05hello"), 40)))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeRecord(b)
		if err != nil {
			return
		}
		if again := EncodeRecord(nil, &e); !bytes.Equal(again, b) {
			t.Fatalf("accepted %x but re-encodes to %x", b, again)
		}
		body, err := appendPayload([]byte("x"), &e)
		switch {
		case err != nil && len(body) != 1:
			t.Fatalf("failed decompression left %d bytes", len(body)-1)
		case err == nil && !e.Compressed() && !bytes.Equal(body[1:], e.Payload):
			t.Fatal("uncompressed payload changed")
		}
	})
}
