package wal

import (
	"bytes"
	"testing"
)

// A tail segment fills up to SegmentSize in the buffer it was given when
// it was created or loaded, without growing (and copying) it on the way.
func TestTailBufferDoesNotGrow(t *testing.T) {
	const segSize = 64 << 10
	l, err := Open(t.TempDir(), &Options{SegmentSize: segSize, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	entry := bytes.Repeat([]byte("x"), 1000)
	index := uint64(1)
	write := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if err := l.Write(index, entry); err != nil {
				t.Fatal(err)
			}
			index++
		}
	}
	checkSegment := func(what string) {
		t.Helper()
		tail := l.segments[len(l.segments)-1]
		start := tail.index
		buf := &tail.ebuf[:1][0]
		for l.segments[len(l.segments)-1].index == start {
			write(1)
			if l.segments[len(l.segments)-1].index == start && &tail.ebuf[:1][0] != buf {
				t.Fatalf("%s: the tail buffer was reallocated at %d bytes", what, len(tail.ebuf))
			}
		}
	}
	write(1)
	checkSegment("first segment")
	checkSegment("segment after a cycle")
	if err := l.TruncateFront(index - 1); err != nil { // into the tail: reloaded
		t.Fatal(err)
	}
	checkSegment("tail reloaded by a truncation")
}
