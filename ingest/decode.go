package ingest

import "github.com/prometheus/prometheus/model/relabel"

// entry is one validated TimeSeries ready to be placed. Its bytes (tag,
// length and body) are buf[start:end] where buf is the decoded body, or the
// decoder's rewrite buffer when rewritten is set.
type entry struct {
	rewritten  bool
	start, end int
	samples    int    // samples + histograms
	hash       uint64 // routing hash
	seriesHash uint64 // full label-set hash, for the limiter; hash itself under router.KeySeries
	skipped    int    // series the global relabel rules dropped right before this one (relabel.go)
}

// decoder is pass 1: it validates a whole WriteRequest body and turns it
// into entries and metadata spans. It is reused across requests and is not
// safe for concurrent use.
type decoder struct {
	opts    *Options
	ext     []extLabel // sorted external labels
	now     int64      // receive time (ms), for ForceSelfTimestamp
	routeH  Hasher     // routing-key hasher
	seriesH Hasher     // full label-set hasher; nil under router.KeySeries or with no limiter

	canon   canonMode   // for the body being decoded
	lim     labelLimits // the label caps of opts, for the canonical path
	p       seriesParser
	entries []entry
	meta    []span
	rewrite []byte // re-emitted series (sorted or rewritten)
	slow    slowPath
	slowN   int // series that took the slow path in this body (tests read it)

	rules          []*relabel.Config // global relabel rules; nil: none (relabel.go)
	rl             relabeler
	relabelDropped int // series of this body the global rules dropped
	relabelInvalid int // series of this body the global rules made invalid, dropped
	skipping       int // series dropped since the last entry; becomes entry.skipped
}

// reset prepares the decoder for a new body.
func (d *decoder) reset() {
	d.entries, d.meta, d.rewrite = d.entries[:0], d.meta[:0], d.rewrite[:0]
	d.slowN, d.relabelDropped, d.relabelInvalid, d.skipping = 0, 0, 0, 0
}

// decode validates body, a remote-write 1.0 WriteRequest, filling
// d.entries and d.meta. Any error is a *DecodeError and leaves the decoder
// in a state fit only for reset.
func (d *decoder) decode(body []byte) error {
	d.reset()
	d.canon, d.lim = d.canonMode(), limitsOf(d.opts)
	for i := 0; i < len(body); {
		f, next, err := nextField(body, i)
		if err != nil {
			return &DecodeError{Series: -1, Metadata: -1, Offset: i, Err: malformed("WriteRequest", err)}
		}
		if err := d.topField(body, &f, next); err != nil {
			return err
		}
		i = next
	}
	return nil
}

// writeRequestSchema names the top-level message in errors.
var writeRequestSchema = &schema{name: "WriteRequest"}

// topField handles one WriteRequest field; other fields are skipped.
func (d *decoder) topField(b []byte, f *field, next int) error {
	var label []byte
	var err error
	switch {
	case f.num != 1 && f.num != 3:
		return nil
	case f.wt != wtBytes:
		err = wrongWireType(writeRequestSchema, f)
	case f.num == 1:
		label, err = d.series(b, f, next)
	default:
		err = d.metadata(b, f, next)
	}
	if err == nil {
		return nil
	}
	e := &DecodeError{Series: -1, Metadata: -1, Offset: f.tagStart, Label: labelForError(label), Err: err}
	if f.num == 1 {
		e.Series, e.Labels = len(d.entries)+d.relabelDropped+d.relabelInvalid, d.p.render(b)
	} else {
		e.Metadata = len(d.meta)
	}
	return e
}

// metadata validates one MetricMetadata entry and records its span.
func (d *decoder) metadata(b []byte, f *field, next int) error {
	if err := validate(metadataSchema, b, f.start, f.end); err != nil {
		return err
	}
	d.meta = append(d.meta, span{f.tagStart, next})
	return nil
}

// series validates one TimeSeries entry, re-emits or rewrites it when
// needed, hashes it as it will be stored and appends its entry. On a label
// error it returns the label name.
func (d *decoder) series(b []byte, f *field, next int) ([]byte, error) {
	if d.canon != canonOff && d.rules == nil {
		if n, ok := d.p.parseCanonical(b, f.start, f.end, &d.lim); ok {
			d.addCanonical(b, f, next, n)
			return nil, nil
		}
	}
	n, err := d.p.parse(b, f.start, f.end)
	if err != nil {
		return nil, err
	}
	if label, err := d.p.checkLabels(b, d.opts); err != nil && !(d.rules != nil && isMetricNameErr(err)) {
		return label, err // with global rules the name is checked as relabeled
	}
	if d.rules != nil {
		return d.relabelSeries(b, f, next, n)
	}
	return d.finish(b, f, next, n, false)
}

// finish takes the validated series f (parsed into d.p, sorted, over b,
// which is d.rewrite when inRewrite) through the slow path or the
// re-emission it needs and appends its entry.
func (d *decoder) finish(b []byte, f *field, next, n int, inRewrite bool) ([]byte, error) {
	e := entry{rewritten: inRewrite, start: f.tagStart, end: next, samples: n}
	switch {
	case d.needsSlowPath(b, n):
		return d.slowSeries(b, f, &e)
	case !d.p.sorted:
		e.rewritten, e.start = true, len(d.rewrite)
		d.rewrite = d.p.appendSorted(d.rewrite, b, span{f.tagStart, next}, f.start)
		e.end = len(d.rewrite)
	}
	d.add(&e, b)
	return nil, nil
}

// add hashes the parsed labels (d.p, sorted, over buf) and appends e.
func (d *decoder) add(e *entry, buf []byte) {
	e.skipped, d.skipping = d.skipping, 0
	e.hash = d.p.hash(d.routeH, buf)
	e.seriesHash = e.hash
	if d.seriesH != nil {
		e.seriesHash = d.p.hash(d.seriesH, buf)
	}
	d.entries = append(d.entries, *e)
}

// labelForError renders a label name for an error message, capped so a
// hostile name cannot blow up the answer.
func labelForError(name []byte) string {
	const maxLen = 128
	if len(name) > maxLen {
		return string(name[:maxLen]) + "..."
	}
	return string(name)
}
