package queue

import (
	"bytes"
	"testing"
)

// FuzzDecodeRecord checks that DecodeRecord never panics on untrusted
// bytes and that whatever it accepts re-encodes to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(EncodeRecord(nil, &Envelope{Kind: KindSeries, Index: 1, Samples: 1, CumSamples: 1, Payload: []byte("x")}))
	f.Add(EncodeRecord(nil, &Envelope{Kind: KindMetadata, Index: 2, Tenant: []byte("tenant")}))
	f.Add(tombstone(3))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeRecord(b)
		if err != nil {
			return
		}
		if again := EncodeRecord(nil, &e); !bytes.Equal(again, b) {
			t.Fatalf("accepted %x but re-encodes to %x", b, again)
		}
	})
}
