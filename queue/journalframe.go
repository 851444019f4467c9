package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/wal"
)

// A journal file is a sequence of frames, each
//
//	length  uint32, little endian: bytes of the payload
//	crc     uint32, little endian: CRC-32C of the payload
//	payload kind (1 byte), uvarint name length, name, uvarint first
//	        index, uvarint count, then count × (uvarint length, wal
//	        entry): the entries of one commit group at indexes
//	        first..first+count-1 of the queue named name
//
// A reader stops at the first frame that is short or fails its CRC: a
// write that was cut off, never acknowledged. Kind frameReset (count 0)
// says the queue's log was closed with an fsync or opened afresh: the
// frames before it for that name are in its log already, and a queue
// directory made again under the same name must not get them.
const (
	frameRecords byte = 1
	frameReset   byte = 2

	frameHeader = 8
	// frameMax bounds a frame's payload when reading, so a damaged length
	// does not make a reader allocate for it.
	frameMax = 1 << 30

	journalSuffix = ".jnl"
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// frame is one decoded or to-be-encoded journal frame.
type frame struct {
	kind  byte
	name  string
	first uint64
	count int
	body  []byte // count × appendEntry(entry)
}

// appendTo appends f's encoding to dst.
func (f *frame) appendTo(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, frameHeader)...)
	dst = append(dst, f.kind)
	dst = binary.AppendUvarint(dst, uint64(len(f.name)))
	dst = append(dst, f.name...)
	dst = binary.AppendUvarint(dst, f.first)
	dst = binary.AppendUvarint(dst, uint64(f.count))
	dst = append(dst, f.body...)
	payload := dst[start+frameHeader:]
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(dst[start+4:], crc32.Checksum(payload, crcTable))
	return dst
}

// eachEntry calls fn for every entry of f's body with its index.
func (f *frame) eachEntry(fn func(index uint64, entry []byte) error) error {
	b := f.body
	for i := range f.count {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return fmt.Errorf("journal frame of %s: entry %d of %d is cut short", f.name, i, f.count)
		}
		if err := fn(f.first+uint64(i), b[k:k+int(n)]); err != nil {
			return err
		}
		b = b[k+int(n):]
	}
	return nil
}

// decodeFrames returns the frames of a journal file's data up to the
// first one that is short or damaged, and whether one was (the rest of
// the file is ignored). The frames' bodies alias data.
func decodeFrames(data []byte) (frames []frame, damaged bool) {
	for len(data) > 0 {
		if len(data) < frameHeader {
			return frames, true
		}
		n := binary.LittleEndian.Uint32(data)
		if n > frameMax || int(n) > len(data)-frameHeader {
			return frames, true
		}
		payload := data[frameHeader : frameHeader+int(n)]
		if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(data[4:]) {
			return frames, true
		}
		f, ok := decodePayload(payload)
		if !ok {
			return frames, true
		}
		frames = append(frames, f)
		data = data[frameHeader+int(n):]
	}
	return frames, false
}

// decodePayload decodes one frame's payload.
func decodePayload(p []byte) (frame, bool) {
	if len(p) < 1 {
		return frame{}, false
	}
	f := frame{kind: p[0]}
	p = p[1:]
	nl, k := binary.Uvarint(p)
	if k <= 0 || nl > uint64(len(p)-k) {
		return frame{}, false
	}
	f.name, p = string(p[k:k+int(nl)]), p[k+int(nl):]
	if f.first, k = binary.Uvarint(p); k <= 0 {
		return frame{}, false
	}
	p = p[k:]
	count, k := binary.Uvarint(p)
	if k <= 0 || count > uint64(len(p)) {
		return frame{}, false
	}
	f.count, f.body = int(count), p[k:]
	return f, f.kind == frameRecords || f.kind == frameReset && f.count == 0
}

// journalFile is one file of a journal directory.
type journalFile struct {
	seq  uint64
	path string
}

// journalName is the file name of sequence number seq.
func journalName(seq uint64) string { return fmt.Sprintf("%020d%s", seq, journalSuffix) }

// journalFiles lists dir's journal files in sequence order; other files
// are ignored.
func journalFiles(dir string) ([]journalFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []journalFile
	for _, e := range ents {
		base, ok := strings.CutSuffix(e.Name(), journalSuffix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		seq, err := strconv.ParseUint(base, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, journalFile{seq: seq, path: filepath.Join(dir, e.Name())})
	}
	slices.SortFunc(out, func(a, b journalFile) int { return cmpUint(a.seq, b.seq) })
	return out, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// readJournal returns, per queue name, the record frames of paths (in
// order) after that name's last reset frame. A file that ends in a
// damaged frame is logged and read up to it; one that vanished (removed
// by a checkpoint meanwhile) is skipped.
func (j *Journal) readJournal(paths []string, only string) (map[string][]frame, error) {
	byName := map[string][]frame{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		frames, damaged := decodeFrames(data)
		if damaged {
			j.log.Warn("journal file ends in a cut-off frame (an unacknowledged write); read up to it", "file", p, "frames", len(frames))
		}
		for _, f := range frames {
			if only != "" && f.name != only {
				continue
			}
			if f.kind == frameReset {
				delete(byName, f.name)
				continue
			}
			byName[f.name] = append(byName[f.name], f)
		}
	}
	return byName, nil
}

// restoreAll restores every queue named in files from them and reports
// whether all of them were restored (or no longer exist).
func (j *Journal) restoreAll(files []journalFile) bool {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.path
	}
	byName, err := j.readJournal(paths, "")
	if err != nil {
		j.log.Error("journal unreadable; its files are kept", "err", err)
		return false
	}
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	slices.Sort(names)
	ok := true
	for _, name := range names {
		dir := filepath.Join(j.root, filepath.FromSlash(name))
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			j.log.Warn("journal names a queue directory that no longer exists; its records are dropped", "queue", name)
			continue
		}
		n, err := restoreDir(dir, byName[name], j.opts.SegmentBytes, j.log)
		if err != nil {
			j.log.Error("restoring a queue from the journal failed; the journal is kept for the next start", "queue", name, "err", err)
			ok = false
			continue
		}
		if n > 0 {
			j.log.Info("restored acknowledged records from the journal", "queue", name, "records", n)
		}
	}
	return ok
}

// restoreDir repairs the queue directory dir, opens its wal and restores
// frames into it (restoreLog).
func restoreDir(dir string, frames []frame, segmentBytes int, log *slog.Logger) (int, error) {
	if _, err := repairDir(dir, log); err != nil {
		return 0, fmt.Errorf("repair: %w", err)
	}
	l, err := wal.Open(dir, &wal.Options{
		SegmentSize: segmentBytes, SegmentCacheSize: 1, NoCopy: true, AllowEmpty: true,
		DirPerms: 0o750, FilePerms: 0o640, NewTailOnOpen: true, NoSync: true,
	})
	if err != nil {
		return 0, fmt.Errorf("open wal: %w", err)
	}
	n, err := restoreLog(l, frames)
	return n, errors.Join(err, l.Close())
}

// restoreLog makes l hold, fsynced, every record the journal's frames
// hold for it, and returns how many entries it wrote. Only the last run
// of consecutive indexes in frames counts: everything before it is
// durable in l (an earlier run ended where the queue fsynced its own
// wal, as the only queue of a commit cycle or when the journal failed,
// which made everything before durable there; what came before the
// journal's oldest file was fsynced by a checkpoint). From the run's
// first index on, l may hold records that are only in the page cache,
// which after a failed fsync reads back data the disk never got: l is
// cut back there (TruncateBack) and that part written again, fsynced,
// the run's records from the journal and those after the run (fsynced
// by the queue itself, or never acknowledged) from l. Entries before the
// log's first index were acknowledged and are skipped. A run that starts
// after the log's last index plus one is an error: the log lost what the
// journal no longer holds.
func restoreLog(l *wal.Log, frames []frame) (int, error) {
	run := lastRun(frames)
	if len(run) == 0 {
		return 0, nil
	}
	first, last, err := logBounds(l)
	if err != nil {
		return 0, err
	}
	from := run[0].first
	end := run[len(run)-1].first + uint64(run[len(run)-1].count) - 1
	if from > last+1 {
		return 0, fmt.Errorf("journal records from %d do not follow the log's last record %d", from, last)
	}
	start := max(from, first)
	if start > end {
		return 0, nil // the run was acknowledged and truncated away
	}
	var b wal.Batch
	n := 0
	for i := range run {
		err := run[i].eachEntry(func(index uint64, entry []byte) error {
			if index >= start {
				b.Write(index, entry)
				n++
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	for i := end + 1; i <= last; i++ {
		data, err := l.Read(i)
		if err != nil {
			return 0, fmt.Errorf("read record %d after the journal's: %w", i, err)
		}
		b.Write(i, data) // copies: data is the wal's read window
		n++
	}
	if start <= last {
		if err := l.TruncateBack(start - 1); err != nil {
			return 0, fmt.Errorf("cut the log back to %d: %w", start-1, err)
		}
	}
	if err := l.WriteBatch(&b); err != nil {
		return 0, err
	}
	return n, l.Sync()
}

// lastRun returns the frames of the last run of consecutive indexes.
func lastRun(frames []frame) []frame {
	start := 0
	for i := 1; i < len(frames); i++ {
		if frames[i].first != frames[i-1].first+uint64(frames[i-1].count) {
			start = i
		}
	}
	return frames[start:]
}

// restoreInto restores the queue named name into its reopened log l
// from the journal's current files.
func (j *Journal) restoreInto(name string, l *wal.Log) (int, error) {
	j.fileMu.Lock()
	paths := slices.Clone(j.old)
	if j.f != nil {
		paths = append(paths, j.f.Name())
	}
	j.fileMu.Unlock()
	byName, err := j.readJournal(paths, name)
	if err != nil {
		return 0, err
	}
	return restoreLog(l, byName[name])
}
