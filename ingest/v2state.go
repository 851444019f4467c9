package ingest

import (
	"sync"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// writtenCounts are the elements of a request (or series) that were
// written, as the X-Prometheus-Remote-Write-*-Written headers report them.
type writtenCounts struct {
	samples, histograms, exemplars int
}

func (c *writtenCounts) add(o writtenCounts) {
	c.samples += o.samples
	c.histograms += o.histograms
	c.exemplars += o.exemplars
}

// v2State is the scratch of one remote-write 2.0 request: the decoded
// request, the remote-write 1.0 request it converts to and the arenas the
// converted series point into. It is owned by one request at a time and
// pooled between requests (v2Pool).
type v2State struct {
	req writev2.Request
	wr  prompb.WriteRequest
	out []byte // wr marshalled

	// Arenas: converted series take sub-slices (capacity capped) of these.
	labels  []prompb.Label
	samples []prompb.Sample
	hists   []prompb.Histogram
	spans   []prompb.BucketSpan
	exs     []prompb.Exemplar

	st     []byte          // start timestamp fields (XXX_unrecognized of samples and histograms)
	hasST  bool            // some sample or histogram has a start timestamp
	symOK  []uint8         // per symbol: 0 unchecked, 1 valid UTF-8
	counts []writtenCounts // per converted series
	// seriesMeta is, per converted series, the index in wr.Metadata of
	// its family's metadata, or -1.
	seriesMeta []int32
	families   map[string]int32 // metric family → index in wr.Metadata
	admit      admitLog
	place      v2Placement // the request's placement; points into seriesMeta
	noCaps     Options     // zero: exemplar labels have no caps
}

// v2Pool hands out v2 states; it belongs to one Handler.
type v2Pool struct{ pool sync.Pool }

func (p *v2Pool) get() *v2State {
	if s, ok := p.pool.Get().(*v2State); ok {
		return s
	}
	return &v2State{families: make(map[string]int32)}
}

// put forgets the request (so a pooled state pins none of its strings)
// and pools s unless its buffers grew beyond retainBytes.
func (p *v2Pool) put(s *v2State) {
	s.clear()
	if cap(s.out) > retainBytes || cap(s.labels) > retainBytes/64 || cap(s.req.Symbols) > retainBytes/64 {
		return
	}
	p.pool.Put(s)
}

// clear drops every reference into the last request.
func (s *v2State) clear() {
	clear(s.req.Symbols)
	clear(s.req.Timeseries)
	s.req.Symbols, s.req.Timeseries = s.req.Symbols[:0], s.req.Timeseries[:0]
	s.req.XXX_unrecognized = nil // unknown fields would pile up across requests
	clear(s.wr.Timeseries)
	clear(s.wr.Metadata)
	s.wr.Timeseries, s.wr.Metadata = s.wr.Timeseries[:0], s.wr.Metadata[:0]
	clear(s.labels)
	clear(s.hists)
	clear(s.exs)
	s.labels, s.samples, s.hists, s.spans, s.exs = s.labels[:0], s.samples[:0], s.hists[:0], s.spans[:0], s.exs[:0]
	s.symOK, s.counts, s.out = s.symOK[:0], s.counts[:0], s.out[:0]
	s.st, s.hasST, s.seriesMeta = s.st[:0], false, s.seriesMeta[:0]
	clear(s.families)
	s.admit.reset(nil)
	s.place = v2Placement{}
}

// admitLog wraps the series limiter and records its decisions, in the
// order it is asked (the order of the converted series), so the written
// counts exclude what it dropped.
type admitLog struct {
	lim      Limiter
	admitted []bool
}

func (a *admitLog) reset(lim Limiter) { a.lim, a.admitted = lim, a.admitted[:0] }

// Admit asks the wrapped limiter and records the answer.
func (a *admitLog) Admit(seriesHash uint64, samples int) bool {
	ok := a.lim.Admit(seriesHash, samples)
	a.admitted = append(a.admitted, ok)
	return ok
}

// written sums the counts of the admitted series: all of them when no
// limiter was asked.
func (s *v2State) written() writtenCounts {
	var c writtenCounts
	for i, n := range s.counts {
		if s.admit.lim == nil || (i < len(s.admit.admitted) && s.admit.admitted[i]) {
			c.add(n)
		}
	}
	return c
}
