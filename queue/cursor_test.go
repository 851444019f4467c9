package queue

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCursorSlots(t *testing.T) {
	for _, tc := range []struct {
		name      string
		damage    func(t *testing.T, path string) // applied after writing states 1..3
		wantFound bool
		wantAcked uint64
	}{
		{"intact", func(*testing.T, string) {}, true, 3},
		{"torn newest slot", func(t *testing.T, p string) { flipByte(t, p, 1*cursorSlotSize+20) }, true, 2},
		{"torn older slot", func(t *testing.T, p string) { flipByte(t, p, 0*cursorSlotSize+20) }, true, 3},
		{"truncated into newest slot", func(t *testing.T, p string) { os.Truncate(p, cursorSlotSize+10) }, true, 2},
		{"truncated to nothing", func(t *testing.T, p string) { os.Truncate(p, 0) }, false, 0},
		{"both slots garbage", func(t *testing.T, p string) { os.WriteFile(p, make([]byte, 2*cursorSlotSize), 0o640) }, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c, _, found, err := openCursor(dir)
			if err != nil || found {
				t.Fatalf("new cursor: found=%v err=%v", found, err)
			}
			for acked := uint64(1); acked <= 3; acked++ { // seq 3 lands in slot 1
				if err := c.write(cursorState{acked: acked, first: acked + 1, last: acked + 5}); err != nil {
					t.Fatal(err)
				}
			}
			c.close()
			tc.damage(t, filepath.Join(dir, cursorFileName))
			st, found, err := readCursor(dir)
			if err != nil || found != tc.wantFound || st.acked != tc.wantAcked {
				t.Fatalf("got %+v found=%v err=%v; want acked %d found=%v", st, found, err, tc.wantAcked, tc.wantFound)
			}
			if found && (st.first != st.acked+1 || st.last != st.acked+5) {
				t.Fatalf("in-flight bounds %+v", st)
			}
			// The store keeps writing after damage and the newest state wins.
			c, _, _, err = openCursor(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer c.close()
			if err := c.write(cursorState{acked: 9}); err != nil {
				t.Fatal(err)
			}
			if st, _, _ := readCursor(dir); st.acked != 9 {
				t.Fatalf("after rewrite: %+v", st)
			}
		})
	}
}

// flipByte inverts one byte of a file.
func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0xff
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
}
