package ingest

import (
	"bytes"
	"unicode/utf8"
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
	sorter labelSorter
}

// parse walks the TimeSeries body b[start:end], validating every field and
// collecting its labels into p.refs. It returns samples + histograms.
func (p *seriesParser) parse(b []byte, start, end int) (int, error) {
	p.refs, p.sorted = p.refs[:0], true
	b = b[:end]
	samples := 0
	for i := start; i < end; {
		f, next, err := nextField(b, i)
		if err != nil {
			return 0, malformed("TimeSeries", err)
		}
		switch {
		case f.num == 1 && f.wt == wtBytes:
			err = p.addLabel(b, &f, next)
		case f.num == 2 && f.wt == wtBytes && quickSample(b, f.start, f.end):
		default:
			err = checkField(timeSeriesSchema, b, &f)
		}
		if err != nil {
			return 0, err
		}
		if f.num == 2 || f.num == 4 {
			samples++
		}
		i = next
	}
	return samples, nil
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
	if n := len(p.refs); n > 0 && bytes.Compare(p.name(b, n-1), b[ref.name.start:ref.name.end]) >= 0 {
		p.sorted = false
	}
	p.refs = append(p.refs, ref)
	return nil
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
	if b[i] != 2<<3|wtVarint {
		return false
	}
	_, next, err := readVarint(b[:end], i+1)
	return err == nil && next == end
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
	for i := range p.refs {
		if err := checkLabel(b, &p.refs[i], o); err != nil {
			return p.name(b, i), err
		}
	}
	if p.sorted {
		return nil, nil
	}
	p.sorter.b, p.sorter.refs = b, p.refs
	p.sorter.sort()
	p.sorter.b = nil
	for i := 1; i < n; i++ {
		if bytes.Equal(p.name(b, i-1), p.name(b, i)) {
			return p.name(b, i), badLabels("duplicate label name")
		}
	}
	return nil, nil
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
		return checkLabelCaps(name, value, o)
	case !utf8.Valid(name):
		return badLabels("label name is not valid UTF-8")
	case !utf8.Valid(value):
		return badLabels("label value is not valid UTF-8")
	}
	return checkLabelCaps(name, value, o)
}

// checkLabelCaps applies the optional length caps.
func checkLabelCaps(name, value []byte, o *Options) error {
	switch {
	case o.MaxLabelNameLen > 0 && len(name) > o.MaxLabelNameLen:
		return overLimit("label name length", len(name), o.MaxLabelNameLen)
	case o.MaxLabelValueLen > 0 && len(value) > o.MaxLabelValueLen:
		return overLimit("label value length", len(value), o.MaxLabelValueLen)
	}
	return nil
}

// hash feeds the (sorted) labels to h and returns the sum.
func (p *seriesParser) hash(h Hasher, b []byte) uint64 {
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
