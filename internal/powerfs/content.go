package powerfs

import "slices"

// maxExtents bounds the dirty-range list of a file; past it the ranges are
// merged into one that spans them all (correct, only more to copy).
const maxExtents = 32

// content is the data of a regular file: what it holds now (cur) and what
// it held at its last successful fsync (dur). dirty lists the ranges of cur
// written since then. Invariant: every byte of cur outside dirty lies below
// len(dur) and equals dur's byte, except after dropDirty (a failed fsync),
// which leaves bytes that no later sync copies, as a real disk would.
//
// A content is not safe for concurrent use; the FS mutex guards it.
type content struct {
	cur   []byte
	dur   []byte
	dirty extents
}

// size is the current length in bytes.
func (c *content) size() int64 { return int64(len(c.cur)) }

// write copies p into the file at off, growing it (with zeros before off)
// as needed. Cost: O(len(p)), amortized O(1) per byte for appends.
func (c *content) write(off int64, p []byte) {
	end := off + int64(len(p))
	if end > c.size() {
		c.resize(end)
	}
	copy(c.cur[off:end], p)
	c.dirty.add(off, end)
}

// read copies the bytes at off into buf and returns how many it copied;
// 0 at or past the end.
func (c *content) read(off int64, buf []byte) int {
	if off >= c.size() {
		return 0
	}
	return copy(buf, c.cur[off:])
}

// resize truncates or extends (with zeros) the current data to n bytes.
func (c *content) resize(n int64) {
	old := c.size()
	switch {
	case n < old:
		c.cur = c.cur[:n]
		c.dirty.clip(n)
	case n > old:
		c.cur = slices.Grow(c.cur, int(n-old))[:n]
		clear(c.cur[old:])
		c.dirty.add(old, n)
	}
}

// sync makes the current data durable. It copies only the dirty ranges, so
// an fsync after an append costs the appended bytes, not the file.
func (c *content) sync() {
	n, old := len(c.cur), len(c.dur)
	if n > old {
		c.dur = slices.Grow(c.dur, n-old)[:n]
		clear(c.dur[old:]) // bytes no sync wrote read back as zeros
	}
	c.dur = c.dur[:n]
	for _, e := range c.dirty {
		copy(c.dur[e.lo:e.hi], c.cur[e.lo:e.hi])
	}
	c.dirty = c.dirty[:0]
}

// dropDirty forgets which ranges are unsynced without making them durable:
// what Linux does to dirty pages whose writeback failed. The data stays
// readable until the next power cut, but no later sync copies it.
func (c *content) dropDirty() { c.dirty = c.dirty[:0] }

// revert replaces the current data with the durable data (a power cut).
func (c *content) revert() {
	c.cur = append(c.cur[:0], c.dur...)
	c.dirty = c.dirty[:0]
}

// extent is the byte range [lo, hi).
type extent struct{ lo, hi int64 }

// extents is a sorted list of disjoint, non-adjacent ranges.
type extents []extent

// add merges [lo, hi) into the list. Appending at the end of the last range
// is O(1); other writes are O(len) with len <= maxExtents.
func (x *extents) add(lo, hi int64) {
	if lo >= hi {
		return
	}
	s := *x
	if n := len(s); n > 0 && lo >= s[n-1].lo && lo <= s[n-1].hi {
		s[n-1].hi = max(s[n-1].hi, hi)
		return
	}
	i := 0
	for i < len(s) && s[i].hi < lo {
		i++
	}
	j := i
	for j < len(s) && s[j].lo <= hi {
		lo, hi = min(lo, s[j].lo), max(hi, s[j].hi)
		j++
	}
	s = slices.Replace(s, i, j, extent{lo, hi})
	if len(s) > maxExtents {
		s = extents{{s[0].lo, s[len(s)-1].hi}}
	}
	*x = s
}

// clip drops everything at or past n.
func (x *extents) clip(n int64) {
	s := *x
	for len(s) > 0 && s[len(s)-1].lo >= n {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1].hi > n {
		s[len(s)-1].hi = n
	}
	*x = s
}
