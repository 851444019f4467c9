package testenv

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// Segments lists the wal segment files of a queue directory, oldest
// first.
func Segments(t testing.TB, qdir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(qdir, "[0-9]*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		if len(filepath.Base(n)) == 20 {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// FlipInSecondRecord flips one bit in the middle of the second entry of
// a segment file (uvarint length + data entries).
func FlipInSecondRecord(t testing.TB, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n1, l1 := binary.Uvarint(data)
	off := l1 + int(n1)
	n2, l2 := binary.Uvarint(data[off:])
	data[off+l2+int(n2)/2] ^= 0x10
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
}
