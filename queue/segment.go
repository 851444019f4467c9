package queue

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/prws/prws/internal/fsutil"
)

// segFile is one wal segment file as the wal will load it.
type segFile struct {
	index uint64 // first index, from the file name
	path  string
	size  int64
}

// parseSegmentName returns the first index and suffix ("", ".START" or
// ".END") of a wal segment file name; ok is false for any other file.
func parseSegmentName(name string) (index uint64, suffix string, ok bool) {
	if len(name) < 20 {
		return 0, "", false
	}
	suffix = name[20:]
	if suffix != "" && suffix != ".START" && suffix != ".END" {
		return 0, "", false
	}
	index, err := strconv.ParseUint(name[:20], 10, 64)
	if err != nil || index == 0 {
		return 0, "", false
	}
	return index, suffix, true
}

// segListing is the result of listSegments.
type segListing struct {
	segs    []segFile // effective segments, ascending index
	temps   []string  // stale *.TEMP files
	pending bool      // a .START/.END operation the wal will finish on open
}

// listSegments lists dir's segments the way wal.Open will see them after
// finishing an interrupted TruncateFront (.START) or TruncateBack (.END):
// files before a .START and after an .END are left out. It never modifies
// dir. Unknown files are ignored.
func listSegments(dir string) (segListing, error) {
	ents, err := os.ReadDir(dir) // sorted by name, like the wal
	if err != nil {
		return segListing{}, err
	}
	var l segListing
	startAt, endAt := -1, -1
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		if strings.HasSuffix(name, ".TEMP") {
			l.temps = append(l.temps, filepath.Join(dir, name))
			continue
		}
		idx, suffix, ok := parseSegmentName(name)
		if !ok {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return segListing{}, err
		}
		switch {
		case suffix == ".START":
			startAt = len(l.segs)
		case suffix == ".END" && endAt == -1:
			endAt = len(l.segs)
		}
		l.segs = append(l.segs, segFile{index: idx, path: filepath.Join(dir, name), size: info.Size()})
	}
	l.pending = startAt >= 0 || endAt >= 0
	l.segs = applyStartEnd(l.segs, startAt, endAt)
	return l, nil
}

// applyStartEnd mirrors wal.load's clean-up of START/END segments.
func applyStartEnd(segs []segFile, startAt, endAt int) []segFile {
	if startAt >= 0 && endAt < 0 {
		segs = segs[startAt:]
	}
	if endAt >= 0 && startAt < 0 {
		segs = segs[:endAt+1]
		if n := len(segs); n > 1 && segs[n-2].index == segs[n-1].index {
			segs[n-2] = segs[n-1]
			segs = segs[:n-1]
		}
	}
	return segs
}

// nextEntry parses the wal entry (uvarint length + data) at data[off:].
// ok is false when the chain breaks there (bad varint or overrun).
func nextEntry(data []byte, off int) (entry []byte, next int, ok bool) {
	size, n := binary.Uvarint(data[off:])
	if n <= 0 {
		return nil, off, false
	}
	start := off + n
	if uint64(len(data)-start) < size {
		return nil, off, false
	}
	end := start + int(size)
	return data[start:end], end, true
}

// chain walks data's entries. It returns the number of entries in the
// unbroken prefix, the byte offset where that prefix ends, and whether
// the whole of data parsed. It stops after limit entries when limit >= 0.
func chain(data []byte, limit int) (count, end int, intact bool) {
	for end < len(data) && (limit < 0 || count < limit) {
		_, next, ok := nextEntry(data, end)
		if !ok {
			return count, end, false
		}
		count, end = count+1, next
	}
	return count, end, end == len(data)
}

// appendEntry appends one wal entry (uvarint length + data) to dst.
func appendEntry(dst, data []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(data)))
	return append(dst, data...)
}

// syncDir fsyncs a directory so renames and creations in it are durable.
func syncDir(dir string) error { return fsutil.SyncDir(dir) }

// writeFileAtomic writes data to path via path.TEMP (the suffix start-up
// repair removes when a crash left one), fsync, rename and a directory
// fsync.
func writeFileAtomic(path string, data []byte) error {
	return fsutil.WriteFileAtomic(path, ".TEMP", data, 0o640)
}
