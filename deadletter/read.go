package deadletter

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Meta describes one dead letter without its body.
type Meta struct {
	Name      string    `json:"name"` // file name, pass to Read and Remove
	Time      time.Time `json:"time"`
	Backend   string    `json:"backend"`
	Status    int       `json:"status"`
	Message   string    `json:"message,omitempty"`
	Samples   int       `json:"samples"`
	First     uint64    `json:"first"`
	Last      uint64    `json:"last"`
	Tenant    string    `json:"tenant,omitempty"`
	BodyBytes int       `json:"body_bytes"`
	FileBytes int64     `json:"file_bytes"`
	// Corrupt is empty for a sound file, else why it cannot be read; the
	// other fields are then unreliable except Name and FileBytes.
	Corrupt string `json:"corrupt,omitempty"`
}

// Stats sums a Log; corrupt files count only in Files, Corrupt and Bytes.
type Stats struct {
	Files   int   `json:"files"`
	Corrupt int   `json:"corrupt"`
	Samples int64 `json:"samples"`
	Bytes   int64 `json:"bytes"` // on disk, corrupt files included
}

// names lists the dead-letter file names in time order.
func (l *Log) names() ([]string, error) {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, fmt.Errorf("deadletter: list: %w", err)
	}
	var out []string
	for _, de := range ents {
		if _, ok := parseName(de.Name()); ok && de.Type().IsRegular() {
			out = append(out, de.Name())
		}
	}
	slices.Sort(out)
	return out, nil
}

// List returns the metadata of every dead letter, oldest first. A torn or
// corrupt file is included with Corrupt set; a file removed meanwhile is
// skipped. Reads headers only, never bodies. Safe for concurrent use.
func (l *Log) List() ([]Meta, error) {
	names, err := l.names()
	if err != nil {
		return nil, err
	}
	out := make([]Meta, 0, len(names))
	for _, name := range names {
		m, err := l.stat(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// stat reads one file's header and checks its length.
func (l *Log) stat(name string) (Meta, error) {
	f, err := os.Open(filepath.Join(l.dir, name))
	if err != nil {
		return Meta{Name: name}, fmt.Errorf("deadletter: %w", err)
	}
	defer f.Close()
	h, size, reason, err := readChecked(f)
	if err != nil {
		return Meta{Name: name}, fmt.Errorf("deadletter: %w", err)
	}
	m := metaOf(name, h, size)
	m.Corrupt = reason
	return m, nil
}

// readChecked reads f's prefix and header and returns them with the
// file's size; reason is set when they are unusable or the size is not
// the one the header announces. err is an I/O error of the stat.
func readChecked(f *os.File) (h header, size int64, reason string, err error) {
	fi, err := f.Stat()
	if err != nil {
		return header{}, 0, "", err
	}
	h, hlen, reason := readHeader(f)
	if want := int64(prefixLen + hlen + h.BodyLen); reason == "" && fi.Size() != want {
		reason = fmt.Sprintf("file is %d bytes, header announces %d", fi.Size(), want)
	}
	return h, fi.Size(), reason, nil
}

// readHeader reads prefix and header from r, returning a reason when they
// are unusable.
func readHeader(r io.Reader) (header, int, string) {
	var p [prefixLen]byte
	if _, err := io.ReadFull(r, p[:]); err != nil {
		return header{}, 0, "truncated prefix"
	}
	n, sum, reason := decodePrefix(p[:])
	if reason != "" {
		return header{}, 0, reason
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(r, js); err != nil {
		return header{}, 0, "truncated header"
	}
	h, reason := decodeHeader(js, sum)
	return h, n, reason
}

func metaOf(name string, h header, size int64) Meta {
	return Meta{
		Name: name, Time: h.Time, Backend: h.Backend, Status: h.Status,
		Message: h.Message, Samples: h.Samples, First: h.First, Last: h.Last,
		Tenant: h.Tenant, BodyBytes: h.BodyLen, FileBytes: size,
	}
}

// Read returns one dead letter with its body, verified against its
// checksum. Errors: ErrBadName, a *CorruptError (errors.Is ErrCorrupt),
// or one wrapping fs.ErrNotExist. Safe for concurrent use.
func (l *Log) Read(name string) (Entry, error) {
	if _, ok := parseName(name); !ok {
		return Entry{}, fmt.Errorf("%w: %q", ErrBadName, name)
	}
	f, err := os.Open(filepath.Join(l.dir, name))
	if err != nil {
		return Entry{}, fmt.Errorf("deadletter: read: %w", err)
	}
	defer f.Close()
	h, _, reason, err := readChecked(f)
	if err != nil {
		return Entry{}, fmt.Errorf("deadletter: read: %w", err)
	}
	if reason != "" {
		return Entry{}, &CorruptError{Name: name, Reason: reason}
	}
	body, reason := readBody(f, h)
	if reason != "" {
		return Entry{}, &CorruptError{Name: name, Reason: reason}
	}
	return Entry{
		Time: h.Time, Backend: h.Backend, Status: h.Status, Message: h.Message,
		Samples: h.Samples, First: h.First, Last: h.Last, Tenant: h.Tenant, Body: body,
	}, nil
}

// readBody reads and verifies the body that follows the header; the
// file's size has been checked by readChecked.
func readBody(r io.Reader, h header) ([]byte, string) {
	body := make([]byte, h.BodyLen)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, "truncated body"
	}
	if crc32.Checksum(body, castagnoli) != h.BodyCRC {
		return nil, "body checksum mismatch"
	}
	return body, ""
}

// Count returns the number of dead-letter files, corrupt ones included,
// or 0 when the directory cannot be read. Cheap: reads no file.
func (l *Log) Count() int {
	names, _ := l.names()
	return len(names)
}

// Stats sums the headers of every dead letter. Safe for concurrent use.
func (l *Log) Stats() (Stats, error) {
	metas, err := l.List()
	if err != nil {
		return Stats{}, err
	}
	var s Stats
	for _, m := range metas {
		s.Files++
		s.Bytes += m.FileBytes
		if m.Corrupt != "" {
			s.Corrupt++
			continue
		}
		s.Samples += int64(m.Samples)
	}
	return s, nil
}
