package queue

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/golang/snappy"
)

// seriesPayload returns n remote-write 1.0 TimeSeries entries (field 1,
// tag and length included) shaped like node_exporter output, starting at
// series number from: 12 labels, one sample each.
func seriesPayload(from, n int) []byte {
	var out, ts, lb []byte
	for s := from; s < from+n; s++ {
		ts = ts[:0]
		for i, kv := range [][2]string{
			{"__name__", "node_cpu_seconds_total"},
			{"cluster", "eu-west-1-prod"},
			{"cpu", fmt.Sprint(s % 64)},
			{"env", "production"},
			{"instance", fmt.Sprintf("10.%d.%d.%d:9100", s/65536%256, s/256%256, s%256)},
			{"job", "node-exporter"},
			{"mode", [...]string{"idle", "user", "system", "iowait"}[s%4]},
			{"namespace", "monitoring"},
			{"node", fmt.Sprintf("ip-10-%d-%d.eu-west-1.compute.internal", s/256%256, s%256)},
			{"pod", fmt.Sprintf("node-exporter-%05x", s*7919%1048576)},
			{"region", "eu-west-1"},
			{"service", "node-exporter"},
		} {
			_ = i
			lb = lb[:0]
			lb = protoBytes(lb, 1, kv[0])
			lb = protoBytes(lb, 2, kv[1])
			ts = protoBytes(ts, 1, string(lb))
		}
		var smp []byte
		smp = append(smp, 0x09)
		smp = binary.LittleEndian.AppendUint64(smp, math.Float64bits(float64(s)*1.5))
		smp = append(smp, 0x10)
		smp = binary.AppendUvarint(smp, uint64(1700000000000+s))
		ts = protoBytes(ts, 2, string(smp))
		out = protoBytes(out, 1, string(ts))
	}
	return out
}

// protoBytes appends a length-delimited protobuf field.
func protoBytes(dst []byte, field int, v string) []byte {
	dst = append(dst, byte(field<<3|2))
	dst = binary.AppendUvarint(dst, uint64(len(v)))
	return append(dst, v...)
}

// fixtureRecords is the record stream of testdata/v1-queue: series
// records of 1 to 24 series (most above compressMin) and small metadata
// records, tenants changing in runs.
func fixtureRecords() []Record {
	var recs []Record
	from := 0
	for i := range 30 {
		n := 1 + i*7%24
		tenant := [...]string{"", "team-a", "team-b"}[i/10]
		recs = append(recs, Record{Kind: KindSeries, Tenant: tenant, Samples: n, Payload: seriesPayload(from, n)})
		from += n
		if i%7 == 0 {
			recs = append(recs, Record{Kind: KindMetadata, Tenant: tenant, Payload: protoBytes(nil, 3, fmt.Sprintf("meta%d", i))})
		}
	}
	return recs
}

// concatPayloads returns the payloads of recs, concatenated.
func concatPayloads(recs []Record) []byte {
	var out []byte
	for _, r := range recs {
		out = append(out, r.Payload...)
	}
	return out
}

// drainBodies forms and acknowledges every pending batch and returns the
// batches' concatenated bodies and their bounds.
func drainBodies(t *testing.T, q *Queue, maxSamples int) (body []byte, bounds [][2]uint64) {
	t.Helper()
	for range 1 << 16 {
		b, ok, err := q.formBatch(maxSamples)
		if err != nil {
			t.Fatalf("formBatch: %v", err)
		}
		if !ok {
			return body, bounds
		}
		body = append(body, batchBody(t, b)...)
		bounds = append(bounds, [2]uint64{b.First, b.Last})
		if err := q.Ack(b); err != nil {
			t.Fatalf("Ack: %v", err)
		}
	}
	t.Fatal("drain did not finish")
	return nil, nil
}

func TestAppendRecordCompresses(t *testing.T) {
	random := randomBytes(rand.New(rand.NewPCG(1, 2)), 1024)
	for _, tc := range []struct {
		name       string
		payload    []byte
		compressed bool
	}{
		{"series", seriesPayload(0, 20), true},
		{"one series", seriesPayload(7, 1), true},
		{"below the threshold", bytes.Repeat([]byte{'a'}, compressMin-1), false},
		{"incompressible", random, false},
		{"empty", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := Envelope{Kind: KindSeries, Flags: 0x80, Index: 5, AppendedMs: 1700000000000, Samples: 20, CumSamples: 40}
			b := appendRecord([]byte("prefix"), &h, "tenant", tc.payload, nil, true)[len("prefix"):]
			e, err := DecodeRecord(b)
			if err != nil {
				t.Fatal(err)
			}
			if e.Compressed() != tc.compressed || e.Flags&^FlagSnappy != 0 {
				t.Fatalf("flags %#x, want compressed=%v and no other bit", e.Flags, tc.compressed)
			}
			if wantVersion := map[bool]byte{false: recordVersion, true: recordVersionSnappy}[tc.compressed]; b[1] != wantVersion {
				t.Fatalf("version %d, want %d", b[1], wantVersion)
			}
			if tc.compressed && len(e.Payload) >= len(tc.payload) {
				t.Fatalf("stored %d bytes for a payload of %d", len(e.Payload), len(tc.payload))
			}
			if e.Index != 5 || e.Samples != 20 || e.CumSamples != 40 || string(e.Tenant) != "tenant" {
				t.Fatalf("header %+v", e)
			}
			jb, err := joinOne(&e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := jb.AppendBody([]byte("x"))
			if err != nil || !bytes.Equal(got, append([]byte("x"), tc.payload...)) {
				t.Fatalf("AppendBody: %v, got %d bytes, want %d", err, len(got)-1, len(tc.payload))
			}
			if again := EncodeRecord(nil, &e); !bytes.Equal(again, b) {
				t.Fatal("EncodeRecord of the decoded envelope differs")
			}
		})
	}
}

func TestDecodeRecordVersionMustMatchFlag(t *testing.T) {
	z := appendRecord(nil, &Envelope{Kind: KindSeries, Index: 1}, "", seriesPayload(0, 3), nil, true)
	raw := EncodeRecord(nil, &Envelope{Kind: KindSeries, Index: 1, Payload: []byte("abc")})
	for name, b := range map[string][]byte{"v2 without the flag": z, "v1 with the flag": raw} {
		b = bytes.Clone(b)
		b[1] ^= recordVersion ^ recordVersionSnappy // flip the version, keep the flags
		binary.LittleEndian.PutUint32(b[crcOffset:], recordCRC(b))
		if _, err := DecodeRecord(b); !errors.Is(err, ErrCorruptRecord) {
			t.Errorf("%s: err %v, want ErrCorruptRecord", name, err)
		}
	}
}

// damageRecord rewrites the stored payload of the second record of a
// one-segment queue in dir with damage applied, under a valid CRC.
func damageRecord(t *testing.T, dir string, damage func(payload []byte) []byte) {
	t.Helper()
	s := layout(t, dir)[0]
	editFile(t, s.path, func(b []byte) []byte {
		rec, _, _ := nextEntry(b, s.offsets[1])
		e, err := DecodeRecord(rec)
		if err != nil || !e.Compressed() {
			t.Fatalf("record 2: %v, compressed %v", err, e.Compressed())
		}
		e.Payload = damage(bytes.Clone(e.Payload))
		again := EncodeRecord(nil, &e)
		if len(again) != len(rec) {
			t.Fatalf("damage changed the record's size")
		}
		copy(rec, again)
		return b
	})
}

// fourRecords appends four compressed series records to a new queue in
// dir and closes it.
func fourRecords(t *testing.T, dir string) []Record {
	t.Helper()
	q := openTest(t, dir, Options{})
	var recs []Record
	for i := range 4 {
		recs = append(recs, Record{Kind: KindSeries, Samples: 10, Payload: seriesPayload(i*10, 10)})
	}
	if err := q.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	q.Close()
	return recs
}

func TestBadSnappyHeaderIsSkipped(t *testing.T) {
	dir := t.TempDir()
	recs := fourRecords(t, dir)
	damageRecord(t, dir, func(p []byte) []byte {
		// A length header that claims 2^35-1 bytes, more than any block
		// holds; the record keeps its size.
		_, h := binary.Uvarint(p)
		return append([]byte{0xff, 0xff, 0xff, 0xff, 0x7f}, p[h:]...)[:len(p)]
	})
	q := openTest(t, dir, Options{})
	body, _ := drainBodies(t, q, 1000)
	if want := concatPayloads([]Record{recs[0], recs[2], recs[3]}); !bytes.Equal(body, want) {
		t.Fatalf("delivered %d bytes, want %d", len(body), len(want))
	}
	if c := q.Stats().Corrupt; c != 1 {
		t.Fatalf("corrupt %d, want 1", c)
	}
}

// TestBadSnappyElementsAreLeftOut damages a stored block's elements under
// a valid CRC (only a bug could write that: the CRC catches damage on
// disk). The join does not look at elements, so the batch's block does
// not decode; AppendBody takes it apart and returns the other records.
func TestBadSnappyElementsAreLeftOut(t *testing.T) {
	dir := t.TempDir()
	recs := fourRecords(t, dir)
	damageRecord(t, dir, func(p []byte) []byte {
		_, h := binary.Uvarint(p)
		p[h] = 0xfe // a 4-byte-offset copy where the first literal was
		return p
	})
	q := openTest(t, dir, Options{})
	b, ok, err := q.formBatch(1000)
	if err != nil || !ok || b.Records != 4 {
		t.Fatalf("formBatch: %+v, %v, %v", b, ok, err)
	}
	if _, err := snappy.Decode(nil, b.Snappy); err == nil {
		t.Fatal("the damaged batch decodes")
	}
	body, err := b.AppendBody([]byte("x"))
	if !errors.Is(err, ErrCorruptRecord) || !strings.Contains(err.Error(), "1 of 4 records") {
		t.Fatalf("AppendBody: %v", err)
	}
	if want := concatPayloads([]Record{recs[0], recs[2], recs[3]}); !bytes.Equal(body[1:], want) || body[0] != 'x' {
		t.Fatalf("AppendBody kept %d bytes, want %d", len(body)-1, len(want))
	}
}

// TestV1QueueDrains opens testdata/v1-queue, written by prws before
// records were compressed (uncompressed version 1 envelopes, records 1-12
// acknowledged, 13-23 in flight), drains it, then appends the same stream
// in the current format and drains that too, across a reopen.
func TestV1QueueDrains(t *testing.T) {
	recs := fixtureRecords()
	dir := copyDir(t, "testdata/v1-queue")
	st, err := Inspect(dir)
	if err != nil || st.PendingRecords != uint64(len(recs)-12) || st.Corrupt != 0 {
		t.Fatalf("Inspect: %+v, %v", st, err)
	}
	q := openTest(t, dir, Options{SegmentBytes: 16 << 10})
	body, bounds := drainBodies(t, q, 300)
	if bounds[0] != [2]uint64{13, 23} {
		t.Fatalf("first batch %v, want the batch in flight 13..23", bounds[0])
	}
	if want := concatPayloads(recs[12:]); !bytes.Equal(body, want) {
		t.Fatalf("old records: delivered %d bytes, want %d", len(body), len(want))
	}
	for i := 0; i < len(recs); i += 5 {
		if err := q.Append(context.Background(), recs[i:min(i+5, len(recs))]); err != nil {
			t.Fatal(err)
		}
	}
	before := q.Stats().PendingBytes
	q.Close()
	q = openTest(t, dir, Options{SegmentBytes: 16 << 10})
	if st := q.Stats(); st.PendingRecords != uint64(len(recs)) || st.Corrupt != 0 {
		t.Fatalf("after reopen: %+v", st)
	}
	body, _ = drainBodies(t, q, 300)
	if want := concatPayloads(recs); !bytes.Equal(body, want) {
		t.Fatalf("new records: delivered %d bytes, want %d", len(body), len(want))
	}
	if raw := len(concatPayloads(recs)); before <= 0 || before > int64(raw)/2 {
		t.Fatalf("pending bytes %d for %d payload bytes: not compressed", before, raw)
	}
}

// A record submitted with Compress's block is stored byte for byte as the
// same record compressed by the queue.
func TestBlockStoredAsCompressed(t *testing.T) {
	payload := seriesPayload(0, 20)
	block, ok := Compress([]byte("x"), payload)
	if !ok || block[0] != 'x' {
		t.Fatal("Compress did not compress series, or lost dst")
	}
	h := Envelope{Kind: KindSeries, Index: 3, Samples: 20}
	own := appendRecord(nil, &h, "t", payload, nil, true)
	given := appendRecord(nil, &h, "t", payload, block[1:], false)
	if !bytes.Equal(own, given) {
		t.Fatal("a record with a given block differs from one the queue compressed")
	}
	if _, ok := Compress(nil, payload[:compressMin-1]); ok {
		t.Fatal("a payload below compressMin was compressed")
	}
	raw := appendRecord(nil, &h, "t", payload, nil, false)
	if e, err := DecodeRecord(raw); err != nil || e.Compressed() || !bytes.Equal(e.Payload, payload) {
		t.Fatalf("a Raw record was not stored as is: %v", err)
	}
}

func TestSubmitChecksTheBlockLength(t *testing.T) {
	q := openTest(t, t.TempDir(), Options{})
	payload := seriesPayload(0, 5)
	block, _ := Compress(nil, payload)
	err := q.Append(context.Background(), []Record{{Kind: KindSeries, Samples: 5, Payload: payload[:len(payload)-1], Block: block}})
	if !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("Append: %v, want ErrInvalidRecord", err)
	}
	err = q.Append(context.Background(), []Record{{Kind: KindSeries, Samples: 5, Payload: payload, Block: block, Raw: true}})
	if !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("Append of a block marked Raw: %v, want ErrInvalidRecord", err)
	}
	if err := q.Append(context.Background(), []Record{{Kind: KindSeries, Samples: 5, Payload: payload, Block: block}}); err != nil {
		t.Fatal(err)
	}
	body, _ := drainBodies(t, q, 100)
	if !bytes.Equal(body, payload) {
		t.Fatal("the record stored from its block does not read back as its payload")
	}
}
