package router

import "github.com/cespare/xxhash/v2"

// metricName is the label that carries the metric name.
const metricName = "__name__"

// LabelSep follows every name and every value in the hashed byte stream;
// it is the separator of labels.Labels.Hash, so both hashes agree.
const LabelSep = 0xff

// hasherBuf is the size of the Hasher's staging buffer. Typical series fit
// entirely, so they are hashed in one xxhash call instead of four small
// streaming writes per label; longer ones are streamed in chunks.
const hasherBuf = 512

// Hasher computes the routing hash of one series from its labels.
// Labels must be fed in sorted name order. The zero value is not usable;
// use NewHasher. A Hasher is not safe for concurrent use; it does not
// allocate after construction.
type Hasher struct {
	key     Key
	d       xxhash.Digest // holds the bytes flushed from buf
	flushed bool          // whether d has seen any bytes
	n       int           // bytes staged in buf
	buf     [hasherBuf]byte
}

// NewHasher returns a Hasher for the given key mode, ready for the first
// series (no Reset needed).
func NewHasher(k Key) *Hasher {
	h := &Hasher{key: k}
	h.Reset()
	return h
}

// Key returns the key mode the Hasher was built for.
func (h *Hasher) Key() Key { return h.key }

// Reset starts a new series.
func (h *Hasher) Reset() {
	h.d.Reset()
	h.flushed, h.n = false, 0
}

// Add feeds one label. name and value are not retained.
// In KeyMetric mode every label but __name__ is ignored.
func (h *Hasher) Add(name, value []byte) {
	if n := h.n; h.key == KeySeries && n+len(name)+len(value)+2 <= hasherBuf {
		// The common case, inlined: stage "name 0xff value 0xff".
		n += copy(h.buf[n:], name)
		h.buf[n] = LabelSep
		n++
		n += copy(h.buf[n:], value)
		h.buf[n] = LabelSep
		h.n = n + 1
		return
	}
	addLabel(h, name, value)
}

// AddString is Add for string labels (the decoded slow path). It does not
// allocate either.
func (h *Hasher) AddString(name, value string) {
	addLabel(h, name, value)
}

// addLabel stages "name 0xff value 0xff" for hashing.
func addLabel[T string | []byte](h *Hasher, name, value T) {
	if h.key == KeyMetric && string(name) != metricName {
		return
	}
	if h.n+len(name)+len(value)+2 > hasherBuf {
		h.flush()
	}
	if len(name)+len(value)+2 > hasherBuf {
		h.stream(string(name), string(value))
		return
	}
	h.n += copy(h.buf[h.n:], name)
	h.buf[h.n] = LabelSep
	h.n += 1 + copy(h.buf[h.n+1:], value)
	h.buf[h.n] = LabelSep
	h.n++
}

// stream feeds a label too long for the staging buffer straight into the
// digest; the buffer is empty when it is called.
func (h *Hasher) stream(name, value string) {
	_, _ = h.d.WriteString(name)
	_, _ = h.d.Write([]byte{LabelSep})
	_, _ = h.d.WriteString(value)
	_, _ = h.d.Write([]byte{LabelSep})
	h.flushed = true
}

// flush moves the staged bytes into the streaming digest.
func (h *Hasher) flush() {
	_, _ = h.d.Write(h.buf[:h.n])
	h.flushed, h.n = true, 0
}

// Sum64 returns the routing hash of the labels fed since Reset. It does
// not change the state: more labels may follow.
func (h *Hasher) Sum64() uint64 {
	if !h.flushed {
		return xxhash.Sum64(h.buf[:h.n])
	}
	d := h.d // a copy, so the staged bytes stay staged
	_, _ = d.Write(h.buf[:h.n])
	return d.Sum64()
}

// SumSeries returns the KeySeries hash of labels staged in their hashed
// form, name LabelSep value LabelSep for each in sorted name order: the
// value a KeySeries Hasher returns after an Add of each of those labels.
// It does not retain staged.
func SumSeries(staged []byte) uint64 { return xxhash.Sum64(staged) }
