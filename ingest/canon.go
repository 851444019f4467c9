package ingest

import (
	"encoding/binary"
	"math"

	"github.com/prws/prws/router"
)

// The canonical path takes a TimeSeries whose Label entries come first, in
// the encoding every sender emits (tag, one-byte length, name tag, one-byte
// name length, name, value tag, one-byte value length, value), in strictly
// increasing name order and ASCII throughout. One pass over that run checks
// the framing, the order and the caps and stages the labels' hashed form;
// no label references are kept. Anything else, including every series the
// label rules refuse, goes to the general path (parse, checkLabels, hash),
// which alone produces errors; so both paths accept the same series and
// give them the same entry.

// Canonical label framing.
const (
	labelTag = 1<<3 | wtBytes // TimeSeries.labels and Label.name
	valueTag = 2<<3 | wtBytes // Label.value
	// canonMask and canonHead match the first four bytes of a canonical
	// Label entry read little-endian: tag, length < 128, name tag, name
	// length < 128.
	canonMask = 0x80ff80ff
	canonHead = labelTag<<16 | labelTag
	// quickMax is the longest name or value a canonical entry can hold.
	quickMax = 127
	// maxEntry is the longest Label entry (tag and length included) the
	// canonical path takes; a 129-byte one takes the general path.
	maxEntry = 128
	// stageMask keeps the staging copies' indexes provably in range.
	stageMask = maxEntry - 1
	// window is how many bytes from a Label entry's start the scan may
	// read: the entry and the overshoot of the word copies of its name and
	// value, as far as the compiler can tell (8 bytes from below maxEntry).
	window = maxEntry + 8
	// stageRoom is what staging one label may write, by the same count.
	stageRoom = maxEntry + 8
	// maxStaged bounds the hashed form of a canonical label run; a longer
	// run (over some 150 typical labels) takes the general path.
	maxStaged = 4096
)

// canonMode says whether and how a body's series may take the canonical
// path; it is decided once per body.
type canonMode uint8

const (
	canonOff    canonMode = iota // general path only
	canonSeries                  // routing hash = the staged labels' hash
	canonMetric                  // routing hash = the __name__ label's hash
)

// labelLimits are the caps of Options as the canonical path checks them:
// a name may be 1..name bytes, a value 0..value bytes, a series may have
// up to labels labels.
type labelLimits struct{ labels, name, value int }

// limitsOf returns the caps of o; an unset cap is the largest the
// canonical encoding allows.
func limitsOf(o *Options) labelLimits {
	l := labelLimits{labels: math.MaxInt, name: quickMax, value: quickMax}
	if o.MaxLabelsPerSeries > 0 {
		l.labels = o.MaxLabelsPerSeries
	}
	if o.MaxLabelNameLen > 0 {
		l.name = o.MaxLabelNameLen
	}
	if o.MaxLabelValueLen > 0 {
		l.value = o.MaxLabelValueLen
	}
	return l
}

// canonMode returns the mode of the body about to be decoded. The
// canonical path needs the production hashers (it hashes the staged bytes
// with router.SumSeries) and series that need no rewrite.
func (d *decoder) canonMode() canonMode {
	rh, ok := d.routeH.(*router.Hasher)
	if !ok || len(d.ext) > 0 || d.opts.ForceSelfTimestamp {
		return canonOff
	}
	if d.seriesH != nil {
		if sh, ok := d.seriesH.(*router.Hasher); !ok || sh.Key() != router.KeySeries {
			return canonOff
		}
	}
	switch rh.Key() {
	case router.KeySeries:
		return canonSeries
	case router.KeyMetric:
		return canonMetric
	}
	return canonOff
}

// parseCanonical takes the TimeSeries body b[start:end] on the canonical
// path and returns samples + histograms; ok false means the series must
// be parsed by the general path instead. On success the labels' hashed
// form is p.stage[:p.staged] and p.labels is the label run.
func (p *seriesParser) parseCanonical(b []byte, start, end int, lim *labelLimits) (samples int, ok bool) {
	i, n, ok := p.scanLabels(b, start, end, lim)
	if !ok || n == 0 || n > lim.labels || !isASCII(b[start:i]) {
		return 0, false
	}
	p.labels = span{start, i}
	return restFields(b, i, end)
}

// scanLabels reads the run of canonical Label entries at b[i:end],
// checking name order, non-empty names and the length caps, and stages
// their hashed form. It returns where the run ends and how many labels it
// holds; ok false means a label of the run needs the general path, as do
// labels closer than window bytes to the end of b, runs whose hashed
// form passes maxStaged bytes and runs without a non-empty __name__ (the
// general path reports that). It is the decoder's hot loop: one pass,
// little state and no calls unless two names share their first eight
// bytes, so that the state stays in registers.
func (p *seriesParser) scanLabels(b []byte, i, end int, lim *labelLimits) (runEnd, n int, ok bool) {
	start := i
	var prev uint64  // nameKey of the previous name
	pi, pos := -1, 0 // previous entry (none yet), staged bytes
	named := false   // a non-empty __name__ was seen
	for i < end && b[i] == labelTag {
		if len(b)-i < window || pos > maxStaged {
			return 0, 0, false
		}
		w := (*[window]byte)(b[i : i+window : i+window])
		head := binary.LittleEndian.Uint32(w[:4])
		size, nl := 2+int(head>>8&0x7f), int(head>>24&0x7f)
		vl := size - nl - 6
		if head&canonMask != canonHead || size > maxEntry || i+size > end || uint(nl-1) >= uint(lim.name) ||
			uint(vl) > uint(lim.value) || binary.LittleEndian.Uint16(w[nl+4:]) != uint16(vl<<8|valueTag) {
			return 0, 0, false
		}
		key := nameKey(w[4:12], nl)
		if key < prev || key == prev && pi >= 0 && !nameLess(b, pi+4, int(b[pi+3]), i+4, nl) {
			return 0, 0, false
		}
		if key == metricNameKey && nl == 8 {
			named = vl > 0
		}
		prev, pi = key, i
		stageLabel((*[stageRoom]byte)(p.stage[pos:pos+stageRoom:pos+stageRoom]), w, nl, size)
		pos += size - 4
		i += size
	}
	p.staged = pos
	return i, (i - start - pos) / 4, named // each entry stages 4 bytes less
}

// nameKey returns the first eight bytes of a name of length n >= 1, read
// from b (which holds at least eight bytes), as a big-endian word, zero
// past n. Names whose keys differ are ordered as their keys.
func nameKey(b []byte, n int) uint64 {
	return binary.BigEndian.Uint64(b) &^ (math.MaxUint64 >> (8 * uint(min(n, 8))))
}

// nameLess reports whether the name b[a:a+al] sorts before b[c:c+cl]
// when their first eight bytes have equal nameKeys. Both are names of
// canonical Label entries the scan read in a window, so eight bytes can be
// read from any offset inside them.
func nameLess(b []byte, a, al, c, cl int) bool {
	for k := 8; k < min(al, cl); k += 8 {
		if x, y := nameKey(b[a+k:], al-k), nameKey(b[c+k:], cl-k); x != y {
			return x < y
		}
	}
	// Equal keys so far: the shorter name is a prefix of the longer.
	return al < cl
}

// stageLabel writes into s the hashed form (see router.SumSeries) of
// the canonical Label entry in w, of size bytes and name length nl: the
// name w[4:nl+4] to s[0:nl], the value w[nl+6:size] to s[nl+1:size-5],
// each followed by router.LabelSep. It copies eight bytes at a time,
// reading and writing up to 7 bytes past name and value: w and s have that
// room, and what lies past the value's separator is overwritten by the
// next label or not hashed. Every copy starts below maxEntry, so the masks
// change no index; they tell the compiler that all are in range.
func stageLabel(s *[stageRoom]byte, w *[window]byte, nl, size int) {
	le := binary.LittleEndian
	for k := range (nl&stageMask + 7) >> 3 {
		le.PutUint64(s[8*k:], le.Uint64(w[8*k+4:]))
	}
	s[nl&stageMask] = router.LabelSep
	for o := nl + 6; o < size; o += 8 {
		le.PutUint64(s[(o-5)&stageMask:], le.Uint64(w[o&stageMask:]))
	}
	s[(size-5)&stageMask] = router.LabelSep
}

// restFields validates the TimeSeries fields b[i:end] after the label run
// and returns samples + histograms; ok false at a Label entry or anything
// malformed, which the general path then reports.
func restFields(b []byte, i, end int) (samples int, ok bool) {
	ts := b[:end]
	for i < end {
		if i+1 < end && b[i] == 2<<3|wtBytes && b[i+1] < 0x80 {
			if n := i + 2 + int(b[i+1]); n <= end && quickSample(b, i+2, n) {
				samples++
				i = n
				continue
			}
		}
		f, next, err := nextField(ts, i)
		if err != nil || f.num == 1 || f.num == 4 || checkField(timeSeriesSchema, ts, &f) != nil {
			return 0, false // histograms are validated on the general path
		}
		if f.num == 2 || f.num == 4 {
			samples++
		}
		i = next
	}
	return samples, true
}

// addCanonical appends the entry of a series parseCanonical accepted:
// TimeSeries field f, ending at next, of the body b.
func (d *decoder) addCanonical(b []byte, f *field, next, samples int) {
	e := entry{start: f.tagStart, end: next, samples: samples}
	if d.canon == canonSeries || d.seriesH != nil {
		e.seriesHash = router.SumSeries(d.p.stage[:d.p.staged])
	}
	e.hash = e.seriesHash
	if d.canon == canonMetric {
		e.hash = d.metricHash(b)
		if d.seriesH == nil {
			e.seriesHash = e.hash
		}
	}
	d.entries = append(d.entries, e)
}

// metricHash is the KeyMetric routing hash of the canonical label run
// d.p.labels of b: the hash of its __name__ label alone, if it has one.
func (d *decoder) metricHash(b []byte) uint64 {
	d.routeH.Reset()
	for i := d.p.labels.start; i < d.p.labels.end; {
		nl, next := int(b[i+3]), i+2+int(b[i+1])
		if name := b[i+4 : i+4+nl]; string(name) == "__name__" {
			d.routeH.Add(name, b[i+6+nl:next])
			break
		}
		i = next
	}
	return d.routeH.Sum64()
}
