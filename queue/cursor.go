package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

const (
	cursorFileName = "cursor"
	cursorSlotSize = 64
	cursorMagic    = 0x43575250 // "PRWC"
	// Version 1 slot: magic u32, version u8, 3 pad, seq u64, acked u64,
	// first u64, last u64, crc u32 (over bytes 0..44), zero padding.
	// Written whenever no split is in flight, so a cursor without one
	// stays byte for byte what earlier releases wrote and read.
	cursorVersion   = 1
	cursorCRCOffset = 44
	// Version 2 slot: version 1's fields, then the split in flight
	// (Split.Lo, Hi, SampleLo, SampleHi, u32 each, at 40..56), crc u32
	// over bytes 0..56. Written only while a split is in flight.
	cursorVersionSplit = 2
	cursorCRCOffset2   = 56
	// Version 3 slot: version 2's fields, then the lane of the split
	// (Split.Lane, Lanes, u16 each, at 56..60), crc u32 over bytes 0..60.
	// Written only while the split of one lane of a batch sent as several
	// lanes is in flight.
	cursorVersionLane = 3
	cursorCRCOffset3  = 60
)

// cursorState is what the cursor file records.
type cursorState struct {
	acked       uint64 // last acknowledged index (0: none)
	first, last uint64 // bounds of the batch in flight; 0,0: none
	split       Split  // sub-batch in flight of the batch in flight; zero: none
}

// inflight reports whether s holds in-flight batch bounds.
func (s cursorState) inflight() bool { return s.first != 0 && s.last >= s.first }

// cursorStore persists cursorState in two alternating fixed-size slots,
// each with a sequence number and CRC, so a torn write leaves the other
// slot readable. Not safe for concurrent use: the queue guards it.
type cursorStore struct {
	f    *os.File
	seq  uint64               // sequence of the last written slot
	slot [cursorSlotSize]byte // write's encoding buffer; padding stays zero
}

// openCursor opens or creates dir/cursor and returns the newest valid
// state. found is false when no slot is valid (new queue, or both slots
// destroyed).
func openCursor(dir string) (c *cursorStore, st cursorState, found bool, err error) {
	path := filepath.Join(dir, cursorFileName)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, st, false, err
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, st, false, err
		}
	}
	st, seq, found, err := readCursorFrom(f)
	if err != nil {
		f.Close()
		return nil, st, false, err
	}
	return &cursorStore{f: f, seq: seq}, st, found, nil
}

// readCursor reads dir/cursor without modifying it; a missing file is
// found=false.
func readCursor(dir string) (st cursorState, found bool, err error) {
	f, err := os.Open(filepath.Join(dir, cursorFileName))
	if errors.Is(err, os.ErrNotExist) {
		return st, false, nil
	}
	if err != nil {
		return st, false, err
	}
	defer f.Close()
	st, _, found, err = readCursorFrom(f)
	return st, found, err
}

// readCursorFrom picks the valid slot with the highest sequence. A short
// or torn file is not an error: its bad slots are ignored.
func readCursorFrom(f *os.File) (st cursorState, seq uint64, found bool, err error) {
	buf := make([]byte, 2*cursorSlotSize)
	n, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return st, 0, false, fmt.Errorf("read cursor: %w", err)
	}
	buf = buf[:n]
	for slot := 0; slot < 2; slot++ {
		if len(buf) < (slot+1)*cursorSlotSize {
			break
		}
		s, sq, ok := decodeCursorSlot(buf[slot*cursorSlotSize : (slot+1)*cursorSlotSize])
		if ok && (!found || sq > seq) {
			st, seq, found = s, sq, true
		}
	}
	return st, seq, found, nil
}

// decodeCursorSlot validates and decodes one slot.
func decodeCursorSlot(b []byte) (cursorState, uint64, bool) {
	le := binary.LittleEndian
	crcAt := cursorCRCOffset
	switch {
	case le.Uint32(b) != cursorMagic:
		return cursorState{}, 0, false
	case b[4] == cursorVersionSplit:
		crcAt = cursorCRCOffset2
	case b[4] == cursorVersionLane:
		crcAt = cursorCRCOffset3
	case b[4] != cursorVersion:
		return cursorState{}, 0, false
	}
	if crc32.Checksum(b[:crcAt], castagnoli) != le.Uint32(b[crcAt:]) {
		return cursorState{}, 0, false
	}
	st := cursorState{acked: le.Uint64(b[16:]), first: le.Uint64(b[24:]), last: le.Uint64(b[32:])}
	if b[4] >= cursorVersionSplit {
		st.split = Split{Lo: le.Uint32(b[40:]), Hi: le.Uint32(b[44:]),
			SampleLo: le.Uint32(b[48:]), SampleHi: le.Uint32(b[52:])}
	}
	if b[4] == cursorVersionLane {
		st.split.Lane, st.split.Lanes = le.Uint16(b[56:]), le.Uint16(b[58:])
	}
	return st, le.Uint64(b[8:]), true
}

// encodeCursorSlot fills b, one slot, with st and seq: version 1 without
// a split in flight, version 2 with one, version 3 with the split of one
// lane. The rest of the slot is zeroed.
func encodeCursorSlot(b []byte, st cursorState, seq uint64) {
	le := binary.LittleEndian
	clear(b[:cursorSlotSize])
	le.PutUint32(b, cursorMagic)
	b[4] = cursorVersion
	le.PutUint64(b[8:], seq)
	le.PutUint64(b[16:], st.acked)
	le.PutUint64(b[24:], st.first)
	le.PutUint64(b[32:], st.last)
	crcAt := cursorCRCOffset
	if !st.split.IsZero() {
		b[4], crcAt = cursorVersionSplit, cursorCRCOffset2
		le.PutUint32(b[40:], st.split.Lo)
		le.PutUint32(b[44:], st.split.Hi)
		le.PutUint32(b[48:], st.split.SampleLo)
		le.PutUint32(b[52:], st.split.SampleHi)
	}
	if st.split.Lanes != 0 {
		b[4], crcAt = cursorVersionLane, cursorCRCOffset3
		le.PutUint16(b[56:], st.split.Lane)
		le.PutUint16(b[58:], st.split.Lanes)
	}
	le.PutUint32(b[crcAt:], crc32.Checksum(b[:crcAt], castagnoli))
}

// write persists st in the slot not holding the newest state and
// fdatasyncs it. It blocks for one fsync.
func (c *cursorStore) write(st cursorState) error {
	seq := c.seq + 1
	encodeCursorSlot(c.slot[:], st, seq)
	if _, err := c.f.WriteAt(c.slot[:], int64(seq%2)*cursorSlotSize); err != nil {
		return fmt.Errorf("write cursor: %w", err)
	}
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("sync cursor: %w", err)
	}
	c.seq = seq
	return nil
}

// close closes the file.
func (c *cursorStore) close() error { return c.f.Close() }
