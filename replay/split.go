package replay

import "github.com/prws/prws/queue"

// splitter divides a refused batch into the sub-batches a split sends.
// The units are the batch's top-level entries; an entry refused alone
// that holds several samples is then divided into parts of its samples
// (labels kept in every part, exemplars with the first), so that one bad
// sample does not cost the valid samples of its series. Both levels walk
// a bisection, and the node in flight at each level is the whole state
// (queue.Split). It is reused from batch to batch by the worker's
// goroutine and not safe for concurrent use.
type splitter struct {
	body     []byte // the batch body; owned by the worker
	x        entryIndex
	ents     bisection
	inSeries bool // dividing the samples of entry ents.cur.lo
	parts    seriesParts
	series   []byte // body of that entry's TimeSeries
	samples  bisection
	scratch  []byte // the current part when it is built
}

// reset indexes body, the batch's remote-write 1.0 WriteRequest, which
// must stay unchanged until the next reset.
func (s *splitter) reset(body []byte) error {
	s.body, s.inSeries = body, false
	return s.x.index(body)
}

// startAt positions s at the sub-batch sp (the root, the whole batch,
// when sp is zero); false when sp is not a position of this batch (the
// batch changed under it), and s is then at the root.
func (s *splitter) startAt(sp queue.Split) bool {
	n := s.x.n()
	s.ents.start(n)
	if sp.IsZero() {
		return true
	}
	if !s.ents.resume(n, int(sp.Lo), int(sp.Hi)) {
		s.ents.start(n)
		return false
	}
	if sp.SampleHi == 0 {
		return true
	}
	m, ok := s.entryUnits()
	if ok && s.ents.cur.len() == 1 && s.samples.resume(m, int(sp.SampleLo), int(sp.SampleHi)) {
		s.inSeries = true
		return true
	}
	s.ents.start(n)
	return false
}

// entryUnits parses the single entry in flight into s.parts and returns
// its number of units; false when it is not a TimeSeries.
func (s *splitter) entryUnits() (int, bool) {
	c := s.ents.cur
	body, ok := s.parts.parse(s.x.span(s.body, c.lo, c.hi))
	s.series = body
	return len(s.parts.units), ok
}

// position returns the sub-batch in flight, as the queue persists it.
func (s *splitter) position() queue.Split {
	sp := queue.Split{Lo: uint32(s.ents.cur.lo), Hi: uint32(s.ents.cur.hi)}
	if s.inSeries {
		sp.SampleLo, sp.SampleHi = uint32(s.samples.cur.lo), uint32(s.samples.cur.hi)
	}
	return sp
}

// part returns the remote-write 1.0 body of the sub-batch in flight and
// its samples. The bytes are valid until the next call or reset.
func (s *splitter) part() ([]byte, int) {
	if s.inSeries {
		c := s.samples.cur
		s.scratch = s.parts.appendPart(s.scratch[:0], s.series, c.lo, c.hi)
		return s.scratch, c.len()
	}
	c := s.ents.cur
	return s.x.span(s.body, c.lo, c.hi), s.x.samplesIn(c.lo, c.hi)
}

// divisible reports whether the sub-batch in flight, refused, can be
// divided further: several entries, or one series of several samples.
func (s *splitter) divisible() bool {
	if s.inSeries {
		return s.samples.cur.len() > 1
	}
	if s.ents.cur.len() > 1 {
		return true
	}
	m, ok := s.entryUnits()
	return ok && m > 1
}

// divide replaces the refused sub-batch in flight by its first half; the
// caller checked divisible.
func (s *splitter) divide() {
	switch {
	case s.inSeries:
		s.samples.divide()
	case s.ents.cur.len() > 1:
		s.ents.divide()
	default:
		s.inSeries = true
		s.samples.start(len(s.parts.units))
		s.samples.divide()
	}
}

// next moves past the settled sub-batch in flight; false when the whole
// batch is settled.
func (s *splitter) next() bool {
	if s.inSeries {
		if s.samples.next() {
			return true
		}
		s.inSeries = false
	}
	return s.ents.next()
}

// appendMetadata appends the batch's metadata entries to dst: a 2.0
// request carries metadata on its series, so a part converted to 2.0 is
// given the whole batch's metadata to pick from.
func (s *splitter) appendMetadata(dst []byte) []byte {
	for _, i := range s.x.meta {
		dst = append(dst, s.x.span(s.body, i, i+1)...)
	}
	return dst
}
