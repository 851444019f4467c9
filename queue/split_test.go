package queue

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCursorSplitSlot(t *testing.T) {
	dir := t.TempDir()
	c, _, _, err := openCursor(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	sp := Split{Lo: 4, Hi: 6, SampleLo: 1, SampleHi: 3}
	for _, st := range []cursorState{
		{acked: 3, first: 4, last: 9, split: sp},
		{acked: 3, first: 4, last: 9, split: Split{Lo: 2, Hi: 3}},
		{acked: 3, first: 4, last: 9, split: Split{Lo: 2, Hi: 3, SampleLo: 1, SampleHi: 2, Lane: 3, Lanes: 4}},
		{acked: 3, first: 4, last: 9, split: Split{Lo: 0, Hi: 1, Lane: 0, Lanes: 2}},
		{acked: 9},
	} {
		if err := c.write(st); err != nil {
			t.Fatal(err)
		}
		got, found, err := readCursor(dir)
		if err != nil || !found || got != st {
			t.Fatalf("read %+v found=%v err=%v, want %+v", got, found, err, st)
		}
		raw, err := os.ReadFile(filepath.Join(dir, cursorFileName))
		if err != nil {
			t.Fatal(err)
		}
		version := raw[(c.seq%2)*cursorSlotSize+4]
		want := byte(cursorVersion)
		switch {
		case st.split.Lanes != 0:
			want = cursorVersionLane
		case !st.split.IsZero():
			want = cursorVersionSplit
		}
		if version != want {
			t.Fatalf("slot version %d for %+v, want %d", version, st, want)
		}
	}
	// Bytes past a version 1 slot's CRC are not part of it.
	flipByte(t, filepath.Join(dir, cursorFileName), 1*cursorSlotSize+50)
	flipByte(t, filepath.Join(dir, cursorFileName), 0*cursorSlotSize+50)
	if st, found, _ := readCursor(dir); !found || st.acked != 9 {
		t.Fatalf("after damage past a version 1 slot's CRC: %+v found=%v", st, found)
	}
}

func TestSplitSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	q := openTest(t, dir, Options{})
	appendRange(t, q, 0, 6)
	ctx := context.Background()
	b, err := q.NextBatch(ctx, 3)
	if err != nil || !b.Split.IsZero() {
		t.Fatalf("first batch %+v, %v", b, err)
	}
	sp := Split{Lo: 1, Hi: 2, SampleLo: 0, SampleHi: 1}
	if err := q.SetSplit(b, sp); err != nil {
		t.Fatal(err)
	}
	if err := q.SetSplit(Batch{First: b.First + 1, Last: b.Last}, sp); !errors.Is(err, ErrAckMismatch) {
		t.Fatalf("split of a batch not in flight: %v", err)
	}
	q.Close()

	q = openTest(t, dir, Options{})
	again, err := q.NextBatch(ctx, 3)
	if err != nil || again.First != b.First || again.Last != b.Last || again.Split != sp {
		t.Fatalf("after reopen %+v (%v), want bounds %d..%d split %+v", again, err, b.First, b.Last, sp)
	}
	if err := q.Ack(again); err != nil {
		t.Fatal(err)
	}
	next, err := q.NextBatch(ctx, 3)
	if err != nil || !next.Split.IsZero() || next.First != b.Last+1 {
		t.Fatalf("next batch %+v, %v", next, err)
	}
	q.Close()
	if st, _, _ := readCursor(dir); !st.split.IsZero() {
		t.Fatalf("cursor keeps a split after its batch: %+v", st)
	}
}
