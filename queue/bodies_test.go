package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestEachBodyGivesTheRecordsOfAppendBody(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{})
	var want [][]byte
	for i := range 6 {
		// Compressible payloads of 256 bytes or more are stored as
		// snappy blocks; short ones as they are. Mix both.
		p := bytes.Repeat(fmt.Appendf(nil, "series-%d;", i), 1+i*40)
		want = append(want, p)
		if err := q.Append(context.Background(), []Record{{Kind: KindSeries, Samples: 1, Payload: p}}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := q.NextBatch(context.Background(), 100)
	if err != nil || b.Records != 6 {
		t.Fatalf("batch %+v, %v", b, err)
	}
	var got [][]byte
	buf, err := b.EachBody(nil, func(body []byte) error {
		got = append(got, bytes.Clone(body))
		return nil
	})
	if err != nil || len(got) != len(want) || cap(buf) == 0 {
		t.Fatalf("EachBody: %d bodies, %v", len(got), err)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d: %q, want %q", i, got[i], want[i])
		}
	}
	whole, err := b.AppendBody(nil)
	if err != nil || !bytes.Equal(whole, bytes.Join(want, nil)) {
		t.Fatalf("AppendBody differs: %v", err)
	}
	stop := errors.New("stop")
	calls := 0
	if _, err := b.EachBody(buf, func([]byte) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("an error from fn: %v after %d calls", err, calls)
	}
	lone := Batch{First: 1, Last: 6, Snappy: b.Snappy}
	got = got[:0]
	if _, err := lone.EachBody(nil, func(body []byte) error { got = append(got, bytes.Clone(body)); return nil }); err != nil ||
		len(got) != 1 || !bytes.Equal(got[0], whole) {
		t.Fatalf("a batch without record bounds: %d bodies, %v", len(got), err)
	}
}
