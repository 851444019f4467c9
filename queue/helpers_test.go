package queue

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tidwall/wal"
)

// payloadLen is the length of every test payload ("r%09d;").
const payloadLen = 11

// testRecord is record number n of a test stream.
func testRecord(n int) Record {
	return Record{Kind: KindSeries, Samples: 1 + n%3, Payload: fmt.Appendf(nil, "r%09d;", n)}
}

// testRecords returns records from..from+n-1.
func testRecords(from, n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = testRecord(from + i)
	}
	return recs
}

// openTest opens a queue in dir and closes it at the end of the test.
func openTest(t testing.TB, dir string, opts Options) *Queue {
	t.Helper()
	q, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// appendRange appends records from..from+n-1, one Append per record.
func appendRange(t testing.TB, q *Queue, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := q.Append(context.Background(), []Record{testRecord(i)}); err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
	}
}

// drain reads every pending batch without blocking, acknowledging each,
// and returns the delivered payloads.
func drain(t testing.TB, q *Queue, maxSamples int) []string {
	t.Helper()
	var got []string
	for range 1 << 20 {
		b, ok, err := q.formBatch(maxSamples)
		if err != nil {
			t.Fatalf("formBatch: %v", err)
		}
		if !ok {
			return got
		}
		got = append(got, splitBody(t, batchBody(t, b))...)
		if err := q.Ack(b); err != nil {
			t.Fatalf("Ack: %v", err)
		}
	}
	t.Fatal("drain did not finish")
	return nil
}

// randomBytes returns n bytes of r (incompressible, reproducible).
func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// batchBody returns b's uncompressed body, failing the test when it does
// not decompress.
func batchBody(t testing.TB, b Batch) []byte {
	t.Helper()
	body, err := b.AppendBody(nil)
	if err != nil {
		t.Fatalf("batch %d..%d: %v", b.First, b.Last, err)
	}
	return body
}

// joinOne returns the batch a lone record e forms, as collect joins it.
func joinOne(e *Envelope) (Batch, error) {
	n, header, err := decodedLen(e)
	if err != nil {
		return Batch{}, err
	}
	var j joiner
	j.reset(0)
	j.add(e, n, header)
	b := Batch{First: e.Index, Last: e.Index, Records: 1}
	b.Snappy, b.parts = j.block()
	return b, nil
}

// splitBody splits a batch body of test payloads.
func splitBody(t testing.TB, body []byte) []string {
	t.Helper()
	if len(body)%payloadLen != 0 {
		t.Fatalf("body of %d bytes is not a run of test payloads", len(body))
	}
	var out []string
	for ; len(body) > 0; body = body[payloadLen:] {
		out = append(out, string(body[:payloadLen]))
	}
	return out
}

// want returns the payloads of records in the given numbers.
func want(nums ...int) []string {
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = string(testRecord(n).Payload)
	}
	return out
}

// seq returns from..from+n-1.
func seq(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

// equalStrings reports a diff between two payload lists.
func equalStrings(t testing.TB, got, exp []string) {
	t.Helper()
	if len(got) != len(exp) {
		t.Fatalf("got %d records, want %d\n got: %.200v\nwant: %.200v", len(got), len(exp), got, exp)
	}
	for i := range got {
		if got[i] != exp[i] {
			t.Fatalf("record %d: got %q, want %q", i, got[i], exp[i])
		}
	}
}

// segmentPaths lists dir's plain segment files.
func segmentPaths(t testing.TB, dir string) []string {
	t.Helper()
	l, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range l.segs {
		out = append(out, s.path)
	}
	return out
}

// copyDir copies the files of src, subdirectories included, into a new
// temp dir, as a crash would leave them (whatever was written, fsynced or
// not).
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "b", "0000")
	copyTree(t, src, dst)
	return dst
}

// copyTree copies the files of src, subdirectories included, into dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o750); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		from, to := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		if e.IsDir() {
			copyTree(t, from, to)
			continue
		}
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

// lastSegment returns the path of dir's last segment.
func lastSegment(t testing.TB, dir string) string {
	t.Helper()
	p := segmentPaths(t, dir)
	if len(p) == 0 {
		t.Fatal("no segments")
	}
	return p[len(p)-1]
}

type (
	walLog   = wal.Log
	walBatch = wal.Batch
)

// yield lets other goroutines run.
func yield() { runtime.Gosched() }

// segmentName is the wal's file name for a segment starting at index.
func segmentName(index uint64) string {
	return fmt.Sprintf("%020d", index)
}
