package powerfs

import (
	"bytes"
	"math/rand"
	"testing"
)

// TestContentMatchesModel drives content with random writes, truncates,
// syncs and reverts and checks it against copying the whole file.
func TestContentMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var c content
	var cur, dur []byte
	for i := 0; i < 20000; i++ {
		switch op := rng.Intn(10); {
		case op < 6:
			off := rng.Intn(len(cur) + 100)
			p := make([]byte, rng.Intn(300))
			rng.Read(p)
			c.write(int64(off), p)
			if off+len(p) > len(cur) {
				cur = append(cur, make([]byte, off+len(p)-len(cur))...)
			}
			copy(cur[off:], p)
		case op < 7:
			n := rng.Intn(len(cur) + 100)
			c.resize(int64(n))
			if n < len(cur) {
				cur = cur[:n]
			} else {
				cur = append(cur, make([]byte, n-len(cur))...)
			}
		case op < 9:
			c.sync()
			dur = bytes.Clone(cur)
		default:
			c.revert()
			cur = bytes.Clone(dur)
		}
		if !bytes.Equal(c.cur, cur) || !bytes.Equal(c.dur, dur) {
			t.Fatalf("step %d: content diverged from the model", i)
		}
	}
}

// TestContentDropDirtyLeavesHole: after a failed fsync, the data it did
// not write never becomes durable, and a later fsync past it leaves zeros.
func TestContentDropDirtyLeavesHole(t *testing.T) {
	var c content
	c.write(0, []byte("aaaa"))
	c.sync()
	c.write(4, []byte("bbbb"))
	c.dropDirty()
	c.write(8, []byte("cccc"))
	c.sync()
	if want := "aaaa\x00\x00\x00\x00cccc"; string(c.dur) != want {
		t.Fatalf("durable %q, want %q", c.dur, want)
	}
	if want := "aaaabbbbcccc"; string(c.cur) != want {
		t.Fatalf("current %q, want %q", c.cur, want)
	}
}

func TestExtentsMergeAndCap(t *testing.T) {
	var x extents
	x.add(10, 20)
	x.add(30, 40)
	x.add(20, 30) // adjacent on both sides: one range
	if len(x) != 1 || x[0] != (extent{10, 40}) {
		t.Fatalf("got %v, want [{10 40}]", x)
	}
	for i := int64(0); i < 2*maxExtents; i++ {
		x.add(100+10*i, 105+10*i)
	}
	if len(x) > maxExtents {
		t.Fatalf("%d extents, want at most %d", len(x), maxExtents)
	}
	x.clip(15)
	if x[len(x)-1].hi != 15 {
		t.Fatalf("clip left %v", x)
	}
}
