package deadletter

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"time"
)

// magic opens every dead-letter file; the last two bytes are the version.
var magic = [8]byte{'P', 'R', 'W', 'S', 'D', 'L', '0', '1'}

const (
	prefixLen = 16      // magic, uint32 header length, uint32 header CRC
	maxHeader = 1 << 16 // far above a real header (Message is ≤ 1 KiB)
	// MaxMessage is the longest backend error text kept in an Entry.
	MaxMessage = 1024
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header is the JSON part of a file: the Entry without its body, plus
// what is needed to verify the body.
type header struct {
	Time    time.Time `json:"time"`
	Backend string    `json:"backend"`
	Status  int       `json:"status"`
	Message string    `json:"message,omitempty"`
	Samples int       `json:"samples"`
	First   uint64    `json:"first"`
	Last    uint64    `json:"last"`
	Tenant  string    `json:"tenant,omitempty"`
	BodyLen int       `json:"body_len"`
	BodyCRC uint32    `json:"body_crc32c"`
}

// encode returns the prefix and header bytes of e; the body follows them.
func encode(e Entry) ([]byte, error) {
	h := header{
		Time: e.Time.UTC(), Backend: e.Backend, Status: e.Status,
		Message: truncate(e.Message, MaxMessage), Samples: e.Samples,
		First: e.First, Last: e.Last, Tenant: e.Tenant,
		BodyLen: len(e.Body), BodyCRC: crc32.Checksum(e.Body, castagnoli),
	}
	js, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("deadletter: encode header: %w", err)
	}
	buf := make([]byte, prefixLen, prefixLen+len(js))
	copy(buf, magic[:])
	binary.LittleEndian.PutUint32(buf[8:], uint32(len(js)))
	binary.LittleEndian.PutUint32(buf[12:], crc32.Checksum(js, castagnoli))
	return append(buf, js...), nil
}

// decodePrefix validates the 16-byte prefix and returns the header length
// and CRC it announces.
func decodePrefix(p []byte) (n int, sum uint32, reason string) {
	if len(p) < prefixLen {
		return 0, 0, "truncated prefix"
	}
	if [8]byte(p[:8]) != magic {
		return 0, 0, "bad magic"
	}
	n = int(binary.LittleEndian.Uint32(p[8:]))
	if n <= 0 || n > maxHeader {
		return 0, 0, fmt.Sprintf("header length %d out of range", n)
	}
	return n, binary.LittleEndian.Uint32(p[12:]), ""
}

// decodeHeader verifies and parses the JSON header.
func decodeHeader(js []byte, sum uint32) (header, string) {
	var h header
	if crc32.Checksum(js, castagnoli) != sum {
		return h, "header checksum mismatch"
	}
	if err := json.Unmarshal(js, &h); err != nil {
		return h, "header: " + err.Error()
	}
	if h.BodyLen < 0 {
		return h, "negative body length"
	}
	return h, ""
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
