package admin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/queue"
)

// errBadBody reports a dead-letter body that is not a remote-write 1.0
// WriteRequest.
var errBadBody = errors.New("body is not a remote-write WriteRequest")

// RecordsOf splits an uncompressed remote-write 1.0 WriteRequest into
// queue records: one KindMetadata record of its field-3 entries, then one
// series record of its field-1 (TimeSeries) entries, each omitted when
// empty, all with tenant. The series record is KindSeriesST when a sample
// or histogram carries fields 1.0 does not know (the start timestamps of
// 2.0 input, which a dead letter keeps), else KindSeries; metadata goes
// first so that a 2.0 backend's worker knows it before the series. It
// returns the samples (samples plus histograms) of the series. The
// records alias body.
func RecordsOf(body []byte, tenant string) ([]queue.Record, int, error) {
	var series, meta []byte
	for off := 0; off < len(body); {
		field, end, err := nextField(body, off)
		if err != nil {
			return nil, 0, err
		}
		switch field {
		case 1:
			series = append(series, body[off:end]...)
		case 3:
			meta = append(meta, body[off:end]...)
		}
		off = end
	}
	var wr prompb.WriteRequest
	if err := wr.Unmarshal(series); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", errBadBody, err)
	}
	samples, kind := 0, queue.KindSeries
	for _, ts := range wr.Timeseries {
		samples += len(ts.Samples) + len(ts.Histograms)
		if hasUnknown(&ts) {
			kind = queue.KindSeriesST
		}
	}
	var recs []queue.Record
	if len(meta) > 0 {
		recs = append(recs, queue.Record{Kind: queue.KindMetadata, Tenant: tenant, Payload: meta})
	}
	if len(series) > 0 {
		recs = append(recs, queue.Record{Kind: kind, Tenant: tenant, Samples: samples, Payload: series})
	}
	return recs, samples, nil
}

// hasUnknown reports whether a sample or histogram of ts has fields 1.0
// does not know.
func hasUnknown(ts *prompb.TimeSeries) bool {
	for i := range ts.Samples {
		if len(ts.Samples[i].XXX_unrecognized) > 0 {
			return true
		}
	}
	for i := range ts.Histograms {
		if len(ts.Histograms[i].XXX_unrecognized) > 0 {
			return true
		}
	}
	return false
}

// nextField reads the length-delimited field starting at off and returns
// its number and the offset just past it. Other wire types are refused:
// a WriteRequest has only length-delimited fields.
func nextField(b []byte, off int) (field uint64, end int, err error) {
	tag, n := binary.Uvarint(b[off:])
	if n <= 0 || tag&7 != 2 {
		return 0, 0, fmt.Errorf("%w: bad tag at byte %d", errBadBody, off)
	}
	size, m := binary.Uvarint(b[off+n:])
	if m <= 0 || size > uint64(len(b)-off-n-m) {
		return 0, 0, fmt.Errorf("%w: bad length at byte %d", errBadBody, off)
	}
	return tag >> 3, off + n + m + int(size), nil
}

// SeriesView is one series of a dead letter as `prws deadletter show`
// prints it.
type SeriesView struct {
	Labels     string    `json:"labels"`
	Samples    int       `json:"samples"`
	Histograms int       `json:"histograms,omitempty"`
	MinTime    time.Time `json:"min_time,omitzero"`
	MaxTime    time.Time `json:"max_time,omitzero"`
	LastValue  Float     `json:"last_value,omitempty"`
}

// DeadLetterDetail is a dead letter with the first series of its body.
type DeadLetterDetail struct {
	DeadLetter
	SeriesTotal int          `json:"series_total"`
	Metadata    int          `json:"metadata"`
	Series      []SeriesView `json:"series"`
}

// DecodeSeries decodes body (a remote-write 1.0 WriteRequest) and returns
// views of its first limit series (all when limit <= 0), the number of
// series and of metadata entries.
func DecodeSeries(body []byte, limit int) (views []SeriesView, total, meta int, err error) {
	var wr prompb.WriteRequest
	if err := wr.Unmarshal(body); err != nil {
		return nil, 0, 0, fmt.Errorf("%w: %v", errBadBody, err)
	}
	views = []SeriesView{}
	for i, ts := range wr.Timeseries {
		if limit > 0 && i >= limit {
			break
		}
		views = append(views, viewOf(ts))
	}
	return views, len(wr.Timeseries), len(wr.Metadata), nil
}

func viewOf(ts prompb.TimeSeries) SeriesView {
	v := SeriesView{Labels: labelString(ts.Labels), Samples: len(ts.Samples), Histograms: len(ts.Histograms)}
	var lo, hi int64
	first := true
	note := func(t int64) {
		if first || t < lo {
			lo = t
		}
		if first || t > hi {
			hi = t
		}
		first = false
	}
	for _, s := range ts.Samples {
		note(s.Timestamp)
	}
	for _, h := range ts.Histograms {
		note(h.Timestamp)
	}
	if !first {
		v.MinTime, v.MaxTime = time.UnixMilli(lo).UTC(), time.UnixMilli(hi).UTC()
	}
	if n := len(ts.Samples); n > 0 {
		v.LastValue = Float(ts.Samples[n-1].Value)
	}
	return v
}

// labelString renders labels as {a="b", c="d"} in their stored order.
func labelString(ls []prompb.Label) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range ls {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", l.Name, l.Value)
	}
	b.WriteByte('}')
	return b.String()
}
