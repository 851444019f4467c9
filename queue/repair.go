package queue

import (
	"fmt"
	"log/slog"
	"os"
)

// maxPadRecords bounds the tombstones repair writes for one segment; a
// larger gap means the file names themselves are wrong.
const maxPadRecords = 1 << 22

// repairReport says what repairDir found and did.
type repairReport struct {
	tailCutBytes   int64 // bytes cut from the last segment
	tailCutEntries int   // wal entries in those bytes
	rewritten      int   // older segments rewritten
	padded         int   // tombstones written
	temps          int   // stale *.TEMP files removed
}

// repairDir makes dir safe for wal.Open: it removes stale *.TEMP files,
// rewrites older segments whose entry chain is broken or short (keeping
// the readable prefix, padding with tombstones so indexes stay
// continuous) and cuts the last segment after its last valid record.
// Interrupted .START/.END operations are left for the wal to finish.
// Unknown files are left alone. It is not safe to run while a wal has dir
// open.
func repairDir(dir string, log *slog.Logger) (repairReport, error) {
	var rep repairReport
	l, err := listSegments(dir)
	if err != nil {
		return rep, err
	}
	for _, t := range l.temps {
		if err := os.Remove(t); err != nil && !os.IsNotExist(err) {
			return rep, err
		}
		log.Warn("removed stale temp file", "file", t)
		rep.temps++
	}
	for k := 0; k+1 < len(l.segs); k++ {
		expected := l.segs[k+1].index - l.segs[k].index
		if err := repairOlder(l.segs[k], expected, log, &rep); err != nil {
			return rep, err
		}
	}
	if len(l.segs) > 0 {
		return rep, repairTail(l.segs[len(l.segs)-1], log, &rep)
	}
	return rep, nil
}

// repairOlder checks that segment s holds exactly expected entries in an
// unbroken chain and rewrites it otherwise.
func repairOlder(s segFile, expected uint64, log *slog.Logger, rep *repairReport) error {
	if expected > maxPadRecords {
		return fmt.Errorf("segment %s: next segment starts %d entries later; refusing to pad that many", s.path, expected)
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return err
	}
	count, end, intact := chain(data, int(expected))
	if uint64(count) == expected && end == len(data) {
		return nil
	}
	out := append([]byte(nil), data[:end]...)
	for i := s.index + uint64(count); i < s.index+expected; i++ {
		out = appendEntry(out, tombstone(i))
	}
	if err := writeFileAtomic(s.path, out); err != nil {
		return fmt.Errorf("rewrite segment %s: %w", s.path, err)
	}
	pad := int(expected) - count
	rep.rewritten++
	rep.padded += pad
	if intact && pad > 0 {
		log.Error("missing wal segment: filled the gap with tombstones, its records are lost",
			"segment", s.path, "first_lost", s.index+uint64(count), "lost", pad)
	} else {
		log.Warn("broken wal segment rewritten: kept the readable prefix, padded with tombstones",
			"segment", s.path, "kept", count, "tombstones", pad, "dropped_bytes", len(data)-end)
	}
	return nil
}

// repairTail cuts the last segment after its last valid record: torn,
// zero-filled or garbage bytes are removed and the file is fsynced.
func repairTail(s segFile, log *slog.Logger, rep *repairReport) error {
	data, err := os.ReadFile(s.path)
	if err != nil {
		return err
	}
	keep := validTailEnd(data, s.index)
	if keep == len(data) {
		return nil
	}
	dropped, _, _ := chain(data[keep:], -1)
	if err := truncateSync(s.path, int64(keep)); err != nil {
		return fmt.Errorf("cut torn tail of %s: %w", s.path, err)
	}
	rep.tailCutBytes = int64(len(data) - keep)
	rep.tailCutEntries = dropped
	log.Warn("cut torn wal tail", "segment", s.path, "kept_bytes", keep,
		"cut_bytes", rep.tailCutBytes, "cut_entries", dropped)
	return nil
}

// validTailEnd returns the offset just past the last entry of the
// unbroken chain whose envelope decodes and carries its own index. Bad
// records followed by a good one are kept (they are skipped on read).
func validTailEnd(data []byte, first uint64) int {
	off, good := 0, 0
	for i := first; off < len(data); i++ {
		entry, next, ok := nextEntry(data, off)
		if !ok {
			break
		}
		if e, err := DecodeRecord(entry); err == nil && e.Index == i {
			good = next
		}
		off = next
	}
	return good
}

// truncateSync truncates path to size and fsyncs it.
func truncateSync(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
