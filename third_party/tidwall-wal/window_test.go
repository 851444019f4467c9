package wal

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"testing"
)

// entryData is the content of entry i: its size varies from a few bytes
// to several read windows.
func entryData(i uint64, big int) []byte {
	size := int(i*37%300) + 1
	if i%17 == 0 {
		size = big
	}
	return bytes.Repeat([]byte(fmt.Sprintf("%d,", i)), size/2+1)[:size]
}

// Entries are read back from the segment files, in order and at random,
// through a window no larger than 4×ReadBufferSize or twice the entry read,
// across segments, after a cycle and after truncations.
func TestReadWindow(t *testing.T) {
	const window = 1 << 10
	l, err := Open(t.TempDir(), &Options{SegmentSize: 8 << 10, ReadBufferSize: window, NoSync: true, NoCopy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const n = 600
	var b Batch
	for i := uint64(1); i <= n; i++ {
		b.Write(i, entryData(i, 3*window))
		if i%7 == 0 || i == n {
			if err := l.WriteBatch(&b); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(l.segments) < 5 {
		t.Fatalf("%d segments, want several", len(l.segments))
	}
	check := func(i uint64) {
		t.Helper()
		got, err := l.Read(i)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if want := entryData(i, 3*window); !bytes.Equal(got, want) {
			t.Fatalf("read %d: %d bytes, want %d", i, len(got), len(want))
		}
		if c := cap(l.win.buf); c > 4*window && c > 2*len(got)+16 {
			t.Fatalf("read %d (%d bytes): window of %d bytes", i, len(got), c)
		}
	}
	for i := uint64(1); i <= n; i++ {
		check(i)
	}
	rnd := rand.New(rand.NewSource(1))
	for k := 0; k < 500; k++ {
		check(uint64(rnd.Intn(n)) + 1)
	}
	if err := l.TruncateFront(123); err != nil { // inside an older segment
		t.Fatal(err)
	}
	for i := uint64(123); i <= n; i++ {
		check(i)
	}
	if err := l.TruncateBack(n - 3); err != nil {
		t.Fatal(err)
	}
	if err := l.Write(n-2, entryData(n-2, 3*window)); err != nil {
		t.Fatal(err)
	}
	for i := uint64(123); i <= n-2; i++ {
		check(i)
	}
	if err := l.TruncateFront(n - 5); err != nil { // inside the tail
		t.Fatal(err)
	}
	for i := uint64(n - 5); i <= n-2; i++ {
		check(i)
	}
}

// A WriteBatch larger than writeRetain does not leave its buffer behind.
func TestWriteBufferRetention(t *testing.T) {
	l, err := Open(t.TempDir(), &Options{SegmentSize: 64 << 20, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var b Batch
	b.Write(1, make([]byte, 2*writeRetain))
	if err := l.WriteBatch(&b); err != nil {
		t.Fatal(err)
	}
	if cap(l.wbuf) > writeRetain {
		t.Fatalf("write buffer of %d bytes kept", cap(l.wbuf))
	}
	b.Write(2, make([]byte, 100))
	if err := l.WriteBatch(&b); err != nil {
		t.Fatal(err)
	}
	if cap(l.wbuf) == 0 {
		t.Fatal("a small write buffer was not kept")
	}
}

// A segment file cut short behind the Log's back makes Read fail with
// ErrCorrupt instead of returning other bytes or panicking.
func TestReadShortFile(t *testing.T) {
	l, err := Open(t.TempDir(), &Options{SegmentSize: 1 << 10, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := uint64(1); i <= 40; i++ {
		if err := l.Write(i, bytes.Repeat([]byte{'x'}, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if len(l.segments) < 3 {
		t.Fatalf("%d segments, want 3 or more", len(l.segments))
	}
	if err := os.Truncate(l.segments[1].path, 50); err != nil {
		t.Fatal(err)
	}
	_, err = l.Read(l.segments[1].index + 3)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("read of a cut segment: %v, want ErrCorrupt", err)
	}
}
