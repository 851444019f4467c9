package queue

import (
	"bytes"
	"context"
	"testing"
)

// TestSeriesSTStoredAsSeriesWithFlag: a KindSeriesST record is stored as
// KindSeries with FlagStart, compressed or not, and the batches holding
// it say so; batches without one do not.
func TestSeriesSTStoredAsSeriesWithFlag(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{})
	big := bytes.Repeat([]byte("series;"), 100) // compressed (FlagSnappy too)
	recs := []Record{
		{Kind: KindSeries, Samples: 1, Payload: []byte("plain;")},
		{Kind: KindSeriesST, Samples: 1, Payload: []byte("with-st;")},
		{Kind: KindSeriesST, Samples: 1, Payload: big},
	}
	if err := q.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	wantFlags := []uint8{0, FlagStart, FlagStart | FlagSnappy}
	for i := range recs {
		q.readMu.Lock()
		e, ok, err := readEnvelope(q.wlog, uint64(i+1))
		q.readMu.Unlock()
		if err != nil || !ok {
			t.Fatalf("record %d: ok %v err %v", i+1, ok, err)
		}
		if e.Kind != KindSeries || e.Flags != wantFlags[i] || e.StartTimestamps() != (i > 0) {
			t.Errorf("record %d: kind %d flags %#x, want kind %d flags %#x", i+1, e.Kind, e.Flags, KindSeries, wantFlags[i])
		}
	}
	for i, want := range []bool{false, true, true} {
		b, err := q.NextBatch(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if b.StartTimestamps != want {
			t.Errorf("batch %d: StartTimestamps %v, want %v", i, b.StartTimestamps, want)
		}
		if err := q.Ack(b); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFlagStartDecodesInBothVersions: an envelope of either version may
// carry FlagStart; DecodeRecord keeps it.
func TestFlagStartDecodesInBothVersions(t *testing.T) {
	for _, flags := range []uint8{FlagStart, FlagStart | FlagSnappy} {
		payload := []byte("x")
		if flags&FlagSnappy != 0 {
			payload, _ = Compress(nil, bytes.Repeat([]byte("y"), 512))
		}
		b := EncodeRecord(nil, &Envelope{Kind: KindSeries, Flags: flags, Index: 7, Samples: 1, Payload: payload})
		e, err := DecodeRecord(b)
		if err != nil || e.Flags != flags || !e.StartTimestamps() {
			t.Fatalf("flags %#x: got %+v, %v", flags, e, err)
		}
	}
}
