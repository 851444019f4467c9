package ingest

import (
	"unicode/utf8"
	"unsafe"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
)

// Relabeling are the relabel rules of one routing: Prometheus
// relabel_config semantics, applied with relabel.ProcessBuilder. It is
// immutable once in a Routing. The rules must have been validated
// (relabel.Config.Validate): an unknown action panics in ProcessBuilder.
type Relabeling struct {
	// Global rules run on every series before external labels, the
	// series limiter and hashing. A series they drop is counted under
	// backend "global" and never queued; a series they rewrite takes the
	// slow path and is routed as rewritten.
	Global []*relabel.Config
	// Backends[b] are the write rules of backend b (Routing.Targets
	// index); a missing or empty entry keeps everything. They run in
	// pass 2 on the series as it will be stored (external labels
	// included): a series a backend's rules drop is not eligible for
	// that backend, and the ring places it among the eligible backends
	// only; a series they rewrite goes to that backend rewritten.
	Backends [][]*relabel.Config
	// Names[b] labels backend b's drop counter; missing: its index.
	Names []string
}

// global returns the global rules of r (nil when r is nil).
func (r *Relabeling) global() []*relabel.Config {
	if r == nil {
		return nil
	}
	return r.Global
}

// perBackend reports whether some backend has write rules.
func (r *Relabeling) perBackend() bool {
	if r == nil {
		return false
	}
	for _, rules := range r.Backends {
		if len(rules) > 0 {
			return true
		}
	}
	return false
}

// rules returns backend b's write rules.
func (r *Relabeling) rules(b int) []*relabel.Config {
	if b < len(r.Backends) {
		return r.Backends[b]
	}
	return nil
}

// relabeler applies rules to the labels of a parsed series. It reuses
// its builders from series to series: loading a series and a rule set
// that changes nothing allocate nothing. Not safe for concurrent use.
type relabeler struct {
	sb   labels.ScratchBuilder
	lb   *labels.Builder
	base labels.Labels // the loaded series; its storage belongs to sb
	// scratch holds the non-label fields of a series whose labels do not
	// come first (otherFields).
	scratch []byte
}

// load makes the labels of p (sorted, over b) the input of apply.
func (r *relabeler) load(p *seriesParser, b []byte) {
	r.sb.Reset()
	for i := range p.refs {
		r.sb.Add(yolo(p.name(b, i)), yolo(p.value(b, i)))
	}
	r.sb.Overwrite(&r.base)
}

// apply runs rules on the loaded labels. keep is false when a rule drops
// the series or leaves it without labels (as Prometheus drops it);
// changed reports that ls differs from the input. ls is valid until the
// next load.
func (r *relabeler) apply(rules []*relabel.Config) (ls labels.Labels, keep, changed bool) {
	if r.lb == nil {
		r.lb = labels.NewBuilder(r.base)
	} else {
		r.lb.Reset(r.base)
	}
	if !relabel.ProcessBuilder(r.lb, rules...) {
		return ls, false, false
	}
	ls = r.lb.Labels()
	if ls.IsEmpty() {
		return ls, false, false
	}
	return ls, true, !labels.Equal(ls, r.base)
}

// yolo is b as a string without a copy; b must outlive it unchanged.
func yolo(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// appendSeries appends a WriteRequest TimeSeries entry with the labels ls
// (sorted) followed by others, the encoded non-label fields of the
// series (see otherFields), and returns the buffer and the offset of the
// new body. When refs is not nil, the references of the labels written
// (offsets in dst) replace its contents, as a parse of the new entry
// would leave them.
func appendSeries(dst []byte, ls labels.Labels, others []byte, refs *[]labelRef) ([]byte, int) {
	size := len(others)
	ls.Range(func(l labels.Label) {
		n := labelSize(l)
		size += 1 + varintLen(uint64(n)) + n
	})
	dst = append(dst, 1<<3|wtBytes)
	dst = appendVarint(dst, uint64(size))
	bodyStart := len(dst)
	if refs != nil {
		*refs = (*refs)[:0]
	}
	ls.Range(func(l labels.Label) {
		var r labelRef
		r.entry.start = len(dst)
		dst = append(dst, 1<<3|wtBytes)
		dst = appendVarint(dst, uint64(labelSize(l)))
		dst = append(dst, 1<<3|wtBytes)
		dst = appendVarint(dst, uint64(len(l.Name)))
		r.name.start = len(dst)
		dst = append(dst, l.Name...)
		r.name.end = len(dst)
		dst = append(dst, 2<<3|wtBytes)
		dst = appendVarint(dst, uint64(len(l.Value)))
		r.value.start = len(dst)
		dst = append(dst, l.Value...)
		r.value.end, r.entry.end = len(dst), len(dst)
		if refs != nil {
			*refs = append(*refs, r)
		}
	})
	return append(dst, others...), bodyStart
}

// otherFields returns the encoded fields but the labels of the series
// body b[body], parsed into p: a slice of b when the labels come first,
// as every sender encodes them, else a copy in *scratch.
func (p *seriesParser) otherFields(b []byte, body span, scratch *[]byte) []byte {
	lo, hi, n := body.end, body.start, 0
	for i := range p.refs {
		e := p.refs[i].entry
		lo, hi, n = min(lo, e.start), max(hi, e.end), n+e.end-e.start
	}
	if len(p.refs) == 0 {
		return b[body.start:body.end]
	}
	if lo == body.start && hi-lo == n {
		return b[hi:body.end]
	}
	*scratch = (*scratch)[:0]
	forOtherFields(b, body, func(f []byte) { *scratch = append(*scratch, f...) })
	return *scratch
}

// labelSize is the encoded size of a Label message of l.
func labelSize(l labels.Label) int {
	return 2 + varintLen(uint64(len(l.Name))) + len(l.Name) + varintLen(uint64(len(l.Value))) + len(l.Value)
}

// forOtherFields calls fn with the bytes (tag included) of every field
// of the TimeSeries body b[body] but its labels, in order.
func forOtherFields(b []byte, body span, fn func([]byte)) {
	bb := b[:body.end]
	for i := body.start; i < body.end; {
		f, next, err := nextField(bb, i)
		if err != nil { // cannot happen: the body was validated
			return
		}
		if f.num != 1 {
			fn(bb[i:next])
		}
		i = next
	}
}

func varintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// validRelabeled reports whether ls, the output of write rules, is a
// series the ingest rules would accept: every name non-empty and every
// name and value valid UTF-8 within o's caps (names are unique and sorted
// by construction of labels.Labels).
func validRelabeled(ls labels.Labels, o *Options) bool {
	if o.MaxLabelsPerSeries > 0 && ls.Len() > o.MaxLabelsPerSeries {
		return false
	}
	if ls.Get(model.MetricNameLabel) == "" { // what a receiver refuses, as at the door
		return false
	}
	ok := true
	ls.Range(func(l labels.Label) {
		if l.Name == "" || !utf8.ValidString(l.Name) || !utf8.ValidString(l.Value) ||
			checkLabelCaps(len(l.Name), len(l.Value), o) != nil {
			ok = false
		}
	})
	return ok
}

// relabelSeries applies the global rules to the series f, parsed into
// d.p (sorted, over b): dropped, it is counted and leaves no entry;
// unchanged, it goes on as received; rewritten, it is re-emitted into
// d.rewrite with its new labels and every other field as received, and
// goes on from there (external labels, hashing). A rewrite the label
// rules refuse (an empty name, a cap passed) is dropped and counted, not
// an error of the request: the sender sent a valid series. The metric
// name rule of the door applies to the series as the rules leave it
// (checkLabels leaves it to here): rules may give a series its name, and
// a series they leave without one, rewritten or not, is dropped and
// counted as invalid.
func (d *decoder) relabelSeries(b []byte, f *field, next, n int) ([]byte, error) {
	d.rl.load(&d.p, b)
	ls, keep, changed := d.rl.apply(d.rules)
	switch {
	case !keep:
		d.relabelDropped++
		d.skipping++
		return nil, nil
	case !changed && ls.Get(model.MetricNameLabel) != "":
		return d.finish(b, f, next, n, false)
	}
	if !validRelabeled(ls, d.opts) {
		d.relabelInvalid++
		d.skipping++
		return nil, nil
	}
	// The new entry is written with its label references, sorted and
	// validated: what parse and checkLabels would leave, without them.
	start := len(d.rewrite)
	var bodyStart int
	others := d.p.otherFields(b, span{f.start, f.end}, &d.rl.scratch)
	d.rewrite, bodyStart = appendSeries(d.rewrite, ls, others, &d.p.refs)
	d.p.sorted = true
	rf := field{num: 1, wt: wtBytes, tagStart: start, start: bodyStart, end: len(d.rewrite)}
	return d.finish(d.rewrite, &rf, len(d.rewrite), n, true)
}

// skipper is a Limiter that follows the series of a request by position:
// the admit log behind the remote-write 2.0 written counts. It must hear
// of the series relabeling dropped before they reached it, in order, so
// that its positions stay those of the request.
type skipper interface{ skip(n int) }

// skip records n series that were dropped before being asked about.
func (a *admitLog) skip(n int) {
	for range n {
		a.admitted = append(a.admitted, false)
	}
}

// skipRelabeled tells lim, when it follows positions, of n series
// relabeling dropped.
func skipRelabeled(lim Limiter, n int) {
	if n == 0 {
		return
	}
	if s, ok := lim.(skipper); ok {
		s.skip(n)
	}
}
