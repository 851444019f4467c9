package replay

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// errEntry reports a batch body whose top-level entries do not parse; such
// a batch cannot be split and is parked whole when refused.
var errEntry = errors.New("replay: batch body does not parse into entries")

// Field numbers of the remote-write 1.0 messages the splitter reads.
const (
	fieldTimeseries = 1 // WriteRequest.timeseries
	fieldMetadata   = 3 // WriteRequest.metadata
	fieldLabels     = 1 // TimeSeries.labels
	fieldSamples    = 2 // TimeSeries.samples
	fieldExemplars  = 3 // TimeSeries.exemplars
	fieldHistograms = 4 // TimeSeries.histograms
)

// entryIndex locates the top-level entries of a batch body (a remote-write
// 1.0 WriteRequest): entry i is body[off[i]:off[i+1]], one TimeSeries,
// MetricMetadata or other field with its tag, and holds samples[i]
// samples and histograms. It is reused from batch to batch.
type entryIndex struct {
	off     []int
	samples []int
	meta    []int // indexes of the metadata entries
}

// index fills x from body. Any field is an entry; only TimeSeries entries
// hold samples.
func (x *entryIndex) index(body []byte) error {
	x.off, x.samples, x.meta = append(x.off[:0], 0), x.samples[:0], x.meta[:0]
	for i := 0; i < len(body); {
		num, typ, n, m := field(body[i:])
		if m < 0 {
			return fmt.Errorf("%w: offset %d", errEntry, i)
		}
		samples := 0
		switch {
		case num == fieldTimeseries && typ == protowire.BytesType:
			v, _ := protowire.ConsumeBytes(body[i+n:])
			samples = countSamples(v)
		case num == fieldMetadata:
			x.meta = append(x.meta, len(x.samples))
		}
		i += n + m
		x.off = append(x.off, i)
		x.samples = append(x.samples, samples)
	}
	return nil
}

// n returns the number of entries.
func (x *entryIndex) n() int { return len(x.samples) }

// span returns the bytes of entries lo..hi (half-open) of body.
func (x *entryIndex) span(body []byte, lo, hi int) []byte { return body[x.off[lo]:x.off[hi]] }

// samplesIn returns the samples and histograms of entries lo..hi.
func (x *entryIndex) samplesIn(lo, hi int) int {
	n := 0
	for _, s := range x.samples[lo:hi] {
		n += s
	}
	return n
}

// countSamples counts the samples and histograms of a TimeSeries body; a
// body that does not parse counts what parsed.
func countSamples(ts []byte) int {
	n := 0
	for len(ts) > 0 {
		num, typ, k, m := field(ts)
		if m < 0 {
			return n
		}
		if typ == protowire.BytesType && (num == fieldSamples || num == fieldHistograms) {
			n++
		}
		ts = ts[k+m:]
	}
	return n
}

// seriesParts splits one TimeSeries entry into what every part of it
// keeps (labels and unknown fields), its units (samples, then histograms,
// each in order: what a sample-level split divides) and its exemplars
// (kept with the part holding unit 0). Spans index the entry's body.
type seriesParts struct {
	keep, units, exemplars [][2]int
}

// parse fills p from entry, a whole TimeSeries field (tag, length, body);
// false when it is not one.
func (p *seriesParts) parse(entry []byte) ([]byte, bool) {
	p.keep, p.units, p.exemplars = p.keep[:0], p.units[:0], p.exemplars[:0]
	num, typ, k := protowire.ConsumeTag(entry)
	if k < 0 || num != fieldTimeseries || typ != protowire.BytesType {
		return nil, false
	}
	body, m := protowire.ConsumeBytes(entry[k:])
	if m < 0 {
		return nil, false
	}
	var hists [][2]int
	for i := 0; i < len(body); {
		num, typ, k, m := field(body[i:])
		if m < 0 {
			return nil, false
		}
		s := [2]int{i, i + k + m}
		switch {
		case typ == protowire.BytesType && num == fieldSamples:
			p.units = append(p.units, s)
		case typ == protowire.BytesType && num == fieldHistograms:
			hists = append(hists, s)
		case num == fieldExemplars:
			p.exemplars = append(p.exemplars, s)
		default:
			p.keep = append(p.keep, s)
		}
		i += k + m
	}
	p.units = append(p.units, hists...)
	return body, true
}

// appendPart appends to dst the TimeSeries entry made of body's kept
// fields, its units lo..hi and, when lo is 0, its exemplars.
func (p *seriesParts) appendPart(dst, body []byte, lo, hi int) []byte {
	size := 0
	add := func(spans [][2]int, f func(s [2]int)) {
		for _, s := range spans {
			f(s)
		}
	}
	sum := func(s [2]int) { size += s[1] - s[0] }
	add(p.keep, sum)
	add(p.units[lo:hi], sum)
	if lo == 0 {
		add(p.exemplars, sum)
	}
	dst = protowire.AppendTag(dst, fieldTimeseries, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(size))
	app := func(s [2]int) { dst = append(dst, body[s[0]:s[1]]...) }
	add(p.keep, app)
	add(p.units[lo:hi], app)
	if lo == 0 {
		add(p.exemplars, app)
	}
	return dst
}

// field reads the protobuf field at the start of buf: its number and
// type, the size of its tag k and of its value m; m is negative when it
// does not parse. A length-delimited field with a one-byte tag and length
// under 16 KiB, what every label and sample is, is read inline; any other
// goes through protowire, which gives the same answer.
func field(buf []byte) (num protowire.Number, typ protowire.Type, k, m int) {
	if len(buf) >= 2 && buf[0] < 0x80 && buf[0]>>3 != 0 && buf[0]&7 == byte(protowire.BytesType) {
		num, typ = protowire.Number(buf[0]>>3), protowire.BytesType
		if l := int(buf[1]); l < 0x80 {
			if 2+l > len(buf) {
				return num, typ, 1, -1
			}
			return num, typ, 1, 1 + l
		}
		if len(buf) >= 3 && buf[2] < 0x80 {
			l := int(buf[1]&0x7f) | int(buf[2])<<7
			if 3+l > len(buf) {
				return num, typ, 1, -1
			}
			return num, typ, 1, 2 + l
		}
	}
	num, typ, k = protowire.ConsumeTag(buf)
	if k < 0 {
		return 0, 0, 0, -1
	}
	return num, typ, k, protowire.ConsumeFieldValue(num, typ, buf[k:])
}
