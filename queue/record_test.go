package queue

import (
	"bytes"
	"errors"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, e := range []Envelope{
		{Kind: KindSeries, Index: 1, AppendedMs: 1700000000000, Samples: 3, CumSamples: 3, Payload: []byte("abc")},
		{Kind: KindMetadata, Flags: 0x80, Index: 1 << 40, Samples: 0, CumSamples: 1 << 50, Tenant: []byte("team-a")},
		{Kind: KindTombstone, Index: 7},
	} {
		b := EncodeRecord([]byte("prefix"), &e)
		if !bytes.HasPrefix(b, []byte("prefix")) || len(b) != len("prefix")+e.EncodedSize() {
			t.Fatalf("EncodeRecord did not append %d bytes", e.EncodedSize())
		}
		got, err := DecodeRecord(b[len("prefix"):])
		if err != nil {
			t.Fatalf("decode %+v: %v", e, err)
		}
		if got.Kind != e.Kind || got.Flags != e.Flags || got.Index != e.Index || got.AppendedMs != e.AppendedMs ||
			got.Samples != e.Samples || got.CumSamples != e.CumSamples ||
			!bytes.Equal(got.Tenant, e.Tenant) || !bytes.Equal(got.Payload, e.Payload) {
			t.Fatalf("round trip: got %+v, want %+v", got, e)
		}
	}
}

func TestDecodeRecordRejectsDamage(t *testing.T) {
	good := EncodeRecord(nil, &Envelope{Kind: KindSeries, Index: 9, Samples: 2, CumSamples: 2,
		Tenant: []byte("t"), Payload: []byte("payload")})
	// Every single-bit flip anywhere must be detected.
	for i := range good {
		for bit := range 8 {
			b := bytes.Clone(good)
			b[i] ^= 1 << bit
			if _, err := DecodeRecord(b); err == nil {
				t.Fatalf("flip of byte %d bit %d not detected", i, bit)
			}
		}
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short header", good[:RecordOverhead-1]},
		{"torn payload", good[:len(good)-1]},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"zeros", make([]byte, 64)},
	} {
		if _, err := DecodeRecord(tc.b); !errors.Is(err, ErrCorruptRecord) {
			t.Errorf("%s: err %v, want ErrCorruptRecord", tc.name, err)
		}
	}
}
