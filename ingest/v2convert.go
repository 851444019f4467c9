package ingest

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/prws/prws/internal/rw2"
)

// convert validates s.req against the remote-write 2.0 rules and
// Options' label caps and fills s.wr with the equivalent remote-write 1.0
// request: one TimeSeries per v2 TimeSeries, in order, labels sorted, and
// one MetricMetadata per metric family that carries metadata, with
// s.seriesMeta naming each series' entry. Start (created) timestamps are
// kept in the field numbers 2.0 gives them (stField), which a 1.0
// decoder skips; s.hasST says whether there were any. Any error is a
// *v2Error; s.wr is then fit only for clear.
func (s *v2State) convert(o *Options) error {
	if err := s.checkTable(); err != nil {
		return &v2Error{series: -1, err: err}
	}
	s.presize()
	for i := range s.req.Timeseries {
		if label, err := s.series(&s.req.Timeseries[i], o); err != nil {
			return &v2Error{series: i, label: labelForError([]byte(label)), err: err}
		}
	}
	return nil
}

// checkTable applies the symbols table rule: when the table is not empty
// its first element is "". (An empty table is valid only for a request
// that refers to no symbol; every reference is checked later.)
func (s *v2State) checkTable() error {
	if len(s.req.Symbols) > 0 && s.req.Symbols[0] != "" {
		return badSymbols("symbols[0] must be the empty string")
	}
	s.symOK = slices.Grow(s.symOK[:0], len(s.req.Symbols))[:len(s.req.Symbols)]
	clear(s.symOK)
	return nil
}

func badSymbols(reason string) error { return &symbolErr{reason} }

// symbolErr is an ErrSymbolRef cause with its own text.
type symbolErr struct{ reason string }

func (e *symbolErr) Error() string { return ErrSymbolRef.Error() + ": " + e.reason }
func (e *symbolErr) Unwrap() error { return ErrSymbolRef }

// presize grows the arenas to what the request needs, so sub-slices taken
// during conversion never move.
func (s *v2State) presize() {
	var labels, samples, hists, spans, exs int
	for i := range s.req.Timeseries {
		ts := &s.req.Timeseries[i]
		labels += len(ts.LabelsRefs) / 2
		samples += len(ts.Samples)
		hists += len(ts.Histograms)
		exs += len(ts.Exemplars)
		for j := range ts.Exemplars {
			labels += len(ts.Exemplars[j].LabelsRefs) / 2
		}
		for j := range ts.Histograms {
			spans += len(ts.Histograms[j].NegativeSpans) + len(ts.Histograms[j].PositiveSpans)
		}
	}
	s.labels = slices.Grow(s.labels[:0], labels)
	s.samples = slices.Grow(s.samples[:0], samples)
	s.hists = slices.Grow(s.hists[:0], hists)
	s.spans = slices.Grow(s.spans[:0], spans)
	s.exs = slices.Grow(s.exs[:0], exs)
	s.st = slices.Grow(s.st[:0], rw2.MaxSTFieldLen*(samples+hists))
	s.seriesMeta = slices.Grow(s.seriesMeta[:0], len(s.req.Timeseries))
	s.wr.Timeseries = slices.Grow(s.wr.Timeseries[:0], len(s.req.Timeseries))
	s.counts = slices.Grow(s.counts[:0], len(s.req.Timeseries))
}

// symbol returns symbols[ref], checking the reference and (once per
// symbol) that the string is valid UTF-8.
func (s *v2State) symbol(what string, ref uint32) (string, error) {
	if int64(ref) >= int64(len(s.req.Symbols)) {
		return "", badRef(what, ref, len(s.req.Symbols))
	}
	str := s.req.Symbols[ref]
	if s.symOK[ref] == 0 {
		if !utf8.ValidString(str) {
			return "", badLabels(what + " is not valid UTF-8")
		}
		s.symOK[ref] = 1
	}
	return str, nil
}

// series converts one TimeSeries and appends it to s.wr. On a label
// error it returns the label name.
func (s *v2State) series(ts *writev2.TimeSeries, o *Options) (string, error) {
	if len(ts.LabelsRefs) == 0 {
		return "", badLabels("series has no labels")
	}
	ls, label, err := s.labelSet(ts.LabelsRefs, o)
	if err != nil {
		return label, err
	}
	if label, err := checkV2Series(ts, ls); err != nil {
		return label, err
	}
	out := prompb.TimeSeries{Labels: ls, Samples: s.convertSamples(ts.Samples),
		Histograms: s.convertHistograms(ts.Histograms)}
	if out.Exemplars, label, err = s.convertExemplars(ts.Exemplars); err != nil {
		return label, err
	}
	md, err := s.metadata(&ts.Metadata, ls)
	if err != nil {
		return "", err
	}
	s.seriesMeta = append(s.seriesMeta, md)
	s.wr.Timeseries = append(s.wr.Timeseries, out)
	s.counts = append(s.counts, writtenCounts{len(ts.Samples), len(ts.Histograms), len(ts.Exemplars)})
	return "", nil
}

// labelSet resolves name/value references into the label arena, applies
// the label rules and caps, and returns the labels sorted by name. On
// error it returns the label name involved, if any.
func (s *v2State) labelSet(refs []uint32, o *Options) ([]prompb.Label, string, error) {
	if len(refs)%2 != 0 {
		return nil, "", badLabels("labels_refs has an odd length")
	}
	if n := len(refs) / 2; o.MaxLabelsPerSeries > 0 && n > o.MaxLabelsPerSeries {
		return nil, "", overLimit("label count", n, o.MaxLabelsPerSeries)
	}
	start := len(s.labels)
	for i := 0; i < len(refs); i += 2 {
		l, err := s.label(refs[i], refs[i+1], o)
		if err != nil {
			return nil, l.Name, err
		}
		s.labels = append(s.labels, l)
	}
	ls := s.labels[start:len(s.labels):len(s.labels)]
	if name := sortLabels(ls); name != "" {
		return nil, name, badLabels("duplicate label name")
	}
	return ls, "", nil
}

// label resolves and checks one name/value pair.
func (s *v2State) label(nameRef, valueRef uint32, o *Options) (prompb.Label, error) {
	name, err := s.symbol("label name", nameRef)
	if err != nil {
		return prompb.Label{}, err
	}
	value, err := s.symbol("label value", valueRef)
	l := prompb.Label{Name: name, Value: value}
	switch {
	case err != nil:
		return l, err
	case name == "":
		return l, badLabels("empty label name")
	}
	return l, checkLabelCaps(len(name), len(value), o)
}

// sortLabels sorts ls by name and returns a name found twice, or "".
func sortLabels(ls []prompb.Label) string {
	if !slices.IsSortedFunc(ls, compareLabels) {
		slices.SortFunc(ls, compareLabels)
	}
	for i := 1; i < len(ls); i++ {
		if ls[i-1].Name == ls[i].Name {
			return ls[i].Name
		}
	}
	return ""
}

// convertSamples copies samples into the arena, each start timestamp as
// the Sample's unknown field 3 (stField).
func (s *v2State) convertSamples(in []writev2.Sample) []prompb.Sample {
	if len(in) == 0 {
		return nil
	}
	start := len(s.samples)
	for i := range in {
		s.samples = append(s.samples, prompb.Sample{Value: in[i].Value, Timestamp: in[i].Timestamp,
			XXX_unrecognized: s.stField(rw2.SampleSTField, in[i].StartTimestamp)})
	}
	return s.samples[start:len(s.samples):len(s.samples)]
}

// stField returns start timestamp st encoded as field num
// (rw2.AppendStartTimestamp), in the arena presize sized, or nil for 0
// (no start timestamp in 2.0).
func (s *v2State) stField(num protowire.Number, st int64) []byte {
	if st == 0 {
		return nil
	}
	s.hasST = true
	at := len(s.st)
	s.st = rw2.AppendStartTimestamp(s.st, num, st)
	return s.st[at:len(s.st):len(s.st)]
}

// convertExemplars copies exemplars with their labels into the arenas.
// Exemplar labels follow the series label rules, caps excepted.
func (s *v2State) convertExemplars(in []writev2.Exemplar) ([]prompb.Exemplar, string, error) {
	if len(in) == 0 {
		return nil, "", nil
	}
	start := len(s.exs)
	for i := range in {
		ls, label, err := s.labelSet(in[i].LabelsRefs, &s.noCaps)
		if err != nil {
			return nil, label, err
		}
		s.exs = append(s.exs, prompb.Exemplar{Labels: ls, Value: in[i].Value, Timestamp: in[i].Timestamp})
	}
	return s.exs[start:len(s.exs):len(s.exs)], "", nil
}

// metricName returns the __name__ of sorted labels, or "".
func metricName(ls []prompb.Label) string {
	i, found := slices.BinarySearchFunc(ls, "__name__", func(l prompb.Label, n string) int {
		return strings.Compare(l.Name, n)
	})
	if !found {
		return ""
	}
	return ls[i].Value
}
