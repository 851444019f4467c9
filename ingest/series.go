package ingest

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"

	"github.com/prws/prws/router"
)

// span is a byte range [start, end) of a buffer.
type span struct{ start, end int }

// labelRef locates one Label entry of the series being parsed, in the
// decoded body.
type labelRef struct {
	entry       span // tag through end of the Label entry
	name, value span
}

// timeSeriesSchema validates the non-label fields of a TimeSeries.
var timeSeriesSchema = &schema{
	name:  "TimeSeries",
	kinds: []kind{1: kMessage, 2: kMessage, 3: kMessage, 4: kMessage},
	subs:  []*schema{1: labelSchema, 2: sampleSchema, 3: exemplarSchema, 4: histogramSchema},
}

// seriesParser holds the per-series scratch of the wire decoder. It is
// reused from series to series and from request to request.
type seriesParser struct {
	refs   []labelRef
	sorted bool // label names strictly increasing as found
	// canon: every Label entry so far had the canonical short layout
	// (tag, 1-byte length, name, value, each under 128 bytes) and followed
	// the previous one directly, so b[labels] holds them all and nothing
	// else.
	canon  bool
	labels span
	sorter labelSorter
	// stage holds the hashed form of the labels of the series the
	// canonical path last accepted, stage[:staged] (see canon.go).
	staged int
	stage  [maxStaged + stageRoom]byte
	hist   histScratch // native histogram validation (validate.go)
}

// parse walks the TimeSeries body b[start:end], validating every field and
// collecting its labels into p.refs. It returns samples + histograms.
// Labels and samples in their canonical encoding (what every sender
// emits) are recognised in place; anything else takes the generic walk.
func (p *seriesParser) parse(b []byte, start, end int) (int, error) {
	p.refs, p.sorted, p.canon = p.refs[:0], true, true
	p.labels = span{start, start}
	b = b[:end]
	samples := 0
	for i := start; i < end; {
		if i+1 < end && b[i+1] < 0x80 {
			if n := i + 2 + int(b[i+1]); n <= end {
				switch b[i] {
				case 1<<3 | wtBytes:
					if name, value, ok := quickLabel(b, i+2, n); ok {
						p.appendRef(b, labelRef{entry: span{i, n}, name: name, value: value}, true)
						i = n
						continue
					}
				case 2<<3 | wtBytes:
					if quickSample(b, i+2, n) {
						samples++
						i = n
						continue
					}
				}
			}
		}
		next, counted, err := p.parseField(b, i)
		if err != nil {
			return 0, err
		}
		if counted {
			samples++
		}
		i = next
	}
	return samples, nil
}

// parseField is the generic walk of one TimeSeries field at b[i:]; counted
// reports a sample or histogram.
func (p *seriesParser) parseField(b []byte, i int) (next int, counted bool, err error) {
	f, next, err := nextField(b, i)
	if err != nil {
		return 0, false, malformed("TimeSeries", err)
	}
	switch {
	case f.num == 1 && f.wt == wtBytes:
		err = p.addLabel(b, &f, next)
	case f.num == 2 && f.wt == wtBytes && quickSample(b, f.start, f.end):
	case f.num == 4 && f.wt == wtBytes:
		if err = checkField(timeSeriesSchema, b, &f); err == nil {
			err = p.hist.check(b, f.start, f.end)
		}
	default:
		err = checkField(timeSeriesSchema, b, &f)
	}
	return next, f.num == 2 || f.num == 4, err
}

// addLabel parses the Label message of f and appends its reference.
func (p *seriesParser) addLabel(b []byte, f *field, entryEnd int) error {
	ref := labelRef{entry: span{f.tagStart, entryEnd}}
	var ok bool
	if ref.name, ref.value, ok = quickLabel(b, f.start, f.end); !ok {
		var err error
		if ref.name, ref.value, err = parseLabel(b, f.start, f.end); err != nil {
			return err
		}
	}
	p.appendRef(b, ref, false)
	return nil
}

// appendRef appends ref, tracking sortedness and the canonical run.
func (p *seriesParser) appendRef(b []byte, ref labelRef, canonical bool) {
	if n := len(p.refs); n > 0 {
		prev := &p.refs[n-1]
		if string(b[prev.name.start:prev.name.end]) >= string(b[ref.name.start:ref.name.end]) {
			p.sorted = false
		}
	} else {
		p.labels.start = ref.entry.start
	}
	if !canonical || ref.entry.start != p.labels.end && len(p.refs) > 0 {
		p.canon = false
	}
	p.labels.end = ref.entry.end
	p.refs = append(p.refs, ref)
}

// quickLabel recognises the canonical encoding of a Label (name then value,
// both shorter than 128 bytes, nothing else) without the generic walk.
func quickLabel(b []byte, start, end int) (name, value span, ok bool) {
	if end-start < 4 || b[start] != 1<<3|wtBytes || b[start+1] >= 0x80 {
		return name, value, false
	}
	name = span{start + 2, start + 2 + int(b[start+1])}
	i := name.end
	if end-i < 2 || b[i] != 2<<3|wtBytes || b[i+1] >= 0x80 || i+2+int(b[i+1]) != end {
		return name, value, false
	}
	return name, span{i + 2, end}, true
}

// parseLabel walks a Label message generically; the last name and value
// win, as in every protobuf decoder.
func parseLabel(b []byte, start, end int) (name, value span, err error) {
	lb := b[:end]
	for i := start; i < end; {
		lf, next, err := nextField(lb, i)
		if err != nil {
			return name, value, malformed("Label", err)
		}
		if err := checkField(labelSchema, lb, &lf); err != nil {
			return name, value, err
		}
		switch lf.num {
		case 1:
			name = span{lf.start, lf.end}
		case 2:
			value = span{lf.start, lf.end}
		}
		i = next
	}
	return name, value, nil
}

func (p *seriesParser) name(b []byte, i int) []byte {
	r := &p.refs[i]
	return b[r.name.start:r.name.end]
}

func (p *seriesParser) value(b []byte, i int) []byte {
	r := &p.refs[i]
	return b[r.value.start:r.value.end]
}

// quickSample recognises the canonical encoding of a Sample (value then
// timestamp, or timestamp alone when the value is 0) without the generic
// walk; anything else goes through validate.
func quickSample(b []byte, start, end int) bool {
	i := start
	if i < end && b[i] == 1<<3|wtFixed64 {
		if end-i < 9 {
			return false
		}
		i += 9
	}
	if i == end {
		return true
	}
	return b[i] == 2<<3|wtVarint && isVarint(b, i+1, end)
}

// checkLabels applies the label rules to the parsed series and leaves
// p.refs sorted by name. On error it returns the offending label name.
func (p *seriesParser) checkLabels(b []byte, o *Options) ([]byte, error) {
	n := len(p.refs)
	if n == 0 {
		return nil, badLabels("series has no labels")
	}
	if o.MaxLabelsPerSeries > 0 && n > o.MaxLabelsPerSeries {
		return nil, overLimit("label count", n, o.MaxLabelsPerSeries)
	}
	if p.canon && isASCII(b[p.labels.start:p.labels.end]) {
		// Every byte of every name and value is ASCII, so all are valid
		// UTF-8; only emptiness and the caps remain to check.
		if err := p.checkCanonical(b, o); err != nil {
			return p.name(b, p.firstBad(b, o)), err
		}
	} else {
		for i := range p.refs {
			if err := checkLabel(b, &p.refs[i], o); err != nil {
				return p.name(b, i), err
			}
		}
	}
	if !p.sorted {
		p.sorter.b, p.sorter.refs = b, p.refs
		p.sorter.sort()
		p.sorter.b = nil
		for i := 1; i < n; i++ {
			if bytes.Equal(p.name(b, i-1), p.name(b, i)) {
				return p.name(b, i), badLabels("duplicate label name")
			}
		}
	}
	return p.checkMetricName(b)
}

// checkCanonical applies the single-label rules that remain once the
// labels are known to be ASCII.
func (p *seriesParser) checkCanonical(b []byte, o *Options) error {
	caps := o.MaxLabelNameLen > 0 || o.MaxLabelValueLen > 0
	for i := range p.refs {
		r := &p.refs[i]
		if r.name.start == r.name.end {
			return badLabels("empty label name")
		}
		if caps {
			if err := checkLabelCaps(r.name.end-r.name.start, r.value.end-r.value.start, o); err != nil {
				return err
			}
		}
	}
	return nil
}

// firstBad returns the index of the first label checkLabel refuses.
func (p *seriesParser) firstBad(b []byte, o *Options) int {
	for i := range p.refs {
		if checkLabel(b, &p.refs[i], o) != nil {
			return i
		}
	}
	return 0
}

// isASCII reports whether every byte of s is below 0x80, 32 at a time.
func isASCII(s []byte) bool {
	var acc uint64
	for len(s) >= 32 {
		acc |= binary.LittleEndian.Uint64(s) | binary.LittleEndian.Uint64(s[8:]) |
			binary.LittleEndian.Uint64(s[16:]) | binary.LittleEndian.Uint64(s[24:])
		s = s[32:]
	}
	for len(s) >= 8 {
		acc |= binary.LittleEndian.Uint64(s)
		s = s[8:]
	}
	for _, c := range s {
		acc |= uint64(c)
	}
	return acc&0x8080808080808080 == 0
}

// checkLabel applies the rules that concern a single label.
func checkLabel(b []byte, r *labelRef, o *Options) error {
	name, value := b[r.name.start:r.name.end], b[r.value.start:r.value.end]
	switch {
	case len(name) == 0:
		return badLabels("empty label name")
	case r.value.start == r.name.end+2 && utf8.Valid(b[r.name.start:r.value.end]):
		// Canonical layout: the two bytes between name and value are the
		// value's tag and one-byte length, both ASCII, so one call checks
		// both strings. Fall through to the caps.
		return checkLabelCaps(len(name), len(value), o)
	case !utf8.Valid(name):
		return badLabels("label name is not valid UTF-8")
	case !utf8.Valid(value):
		return badLabels("label value is not valid UTF-8")
	}
	return checkLabelCaps(len(name), len(value), o)
}

// checkLabelCaps applies the optional length caps to a label name and
// value of the given lengths (bytes).
func checkLabelCaps(nameLen, valueLen int, o *Options) error {
	switch {
	case o.MaxLabelNameLen > 0 && nameLen > o.MaxLabelNameLen:
		return overLimit("label name length", nameLen, o.MaxLabelNameLen)
	case o.MaxLabelValueLen > 0 && valueLen > o.MaxLabelValueLen:
		return overLimit("label value length", valueLen, o.MaxLabelValueLen)
	}
	return nil
}

// hash feeds the (sorted) labels to h and returns the sum.
func (p *seriesParser) hash(h Hasher, b []byte) uint64 {
	if rh, ok := h.(*router.Hasher); ok {
		// The production hasher, called directly: no dynamic dispatch
		// per label, and its fast path inlines.
		rh.Reset()
		for i := range p.refs {
			r := &p.refs[i]
			rh.Add(b[r.name.start:r.name.end], b[r.value.start:r.value.end])
		}
		return rh.Sum64()
	}
	h.Reset()
	for i := range p.refs {
		h.Add(p.name(b, i), p.value(b, i))
	}
	return h.Sum64()
}

// appendSorted appends the TimeSeries entry b[entry] with its Label entries
// in sorted order (p.refs, already sorted) followed by its other fields in
// their original order. The body length does not change, so the header
// (tag and length, b[entry.start:bodyStart]) is copied as found.
func (p *seriesParser) appendSorted(dst, b []byte, entry span, bodyStart int) []byte {
	dst = append(dst, b[entry.start:bodyStart]...)
	for i := range p.refs {
		e := p.refs[i].entry
		dst = append(dst, b[e.start:e.end]...)
	}
	body := b[:entry.end]
	for i := bodyStart; i < entry.end; {
		f, next, err := nextField(body, i)
		if err != nil { // cannot happen: parse validated the body
			break
		}
		if f.num != 1 {
			dst = append(dst, body[i:next]...)
		}
		i = next
	}
	return dst
}
