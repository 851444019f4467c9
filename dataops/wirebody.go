package dataops

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

// errBadBody reports a dead-letter body that is not a remote-write 1.0
// WriteRequest.
var errBadBody = errors.New("body is not a remote-write WriteRequest")

// RecordsOf splits an uncompressed remote-write 1.0 WriteRequest into
// queue records for a backend of shards queues (a power of two): in shard
// 0 first one KindMetadata record of the field-3 entries (so that a 2.0
// backend's worker knows the metadata before the series), then, per
// shard, one series record of the field-1 (TimeSeries) entries that
// ingest routes there (router.ShardOf of the series' key hash). A shard
// with nothing has no records. A series record is KindSeriesST when one
// of its samples or histograms carries fields 1.0 does not know (the
// start timestamps of 2.0 input, which a dead letter keeps), else
// KindSeries. All records carry tenant and alias body. It returns the
// samples (samples plus histograms) of the series.
func RecordsOf(body []byte, tenant string, key router.Key, shards int) ([][]queue.Record, int, error) {
	if shards < 1 || shards&(shards-1) != 0 {
		return nil, 0, fmt.Errorf("%d shards: not a power of two", shards)
	}
	sp := splitter{h: router.NewHasher(key), shards: make([]shardPart, shards)}
	var meta []byte
	for off := 0; off < len(body); {
		field, start, end, err := nextField(body, off)
		if err != nil {
			return nil, 0, err
		}
		switch field {
		case 1:
			if err := sp.add(body[off:end], body[start:end]); err != nil {
				return nil, 0, err
			}
		case 3:
			meta = append(meta, body[off:end]...)
		}
		off = end
	}
	return sp.records(tenant, meta), sp.samples, nil
}

// splitter sorts the series of a WriteRequest into shards.
type splitter struct {
	h       *router.Hasher
	shards  []shardPart
	samples int
}

// shardPart is what one shard gets: TimeSeries fields as they are in the
// body, their samples, and whether one carries a start timestamp.
type shardPart struct {
	payload []byte
	samples int
	st      bool
}

// add decodes the TimeSeries message msg of field (tag and length
// included) and appends field to the part of its shard: the shard its
// labels hash to, in sorted name order as ingest hashes them.
func (sp *splitter) add(field, msg []byte) error {
	var ts prompb.TimeSeries
	if err := ts.Unmarshal(msg); err != nil {
		return fmt.Errorf("%w: %v", errBadBody, err)
	}
	slices.SortFunc(ts.Labels, func(a, b prompb.Label) int { return strings.Compare(a.Name, b.Name) })
	sp.h.Reset()
	for _, l := range ts.Labels {
		sp.h.AddString(l.Name, l.Value)
	}
	p := &sp.shards[router.ShardOf(sp.h.Sum64(), len(sp.shards))]
	n := len(ts.Samples) + len(ts.Histograms)
	p.payload = append(p.payload, field...)
	p.samples += n
	p.st = p.st || hasUnknown(&ts)
	sp.samples += n
	return nil
}

// records returns the records of each shard, the metadata first in
// shard 0.
func (sp *splitter) records(tenant string, meta []byte) [][]queue.Record {
	out := make([][]queue.Record, len(sp.shards))
	if len(meta) > 0 {
		out[0] = append(out[0], queue.Record{Kind: queue.KindMetadata, Tenant: tenant, Payload: meta})
	}
	for i, p := range sp.shards {
		if len(p.payload) == 0 {
			continue
		}
		kind := queue.KindSeries
		if p.st {
			kind = queue.KindSeriesST
		}
		out[i] = append(out[i], queue.Record{Kind: kind, Tenant: tenant, Samples: p.samples, Payload: p.payload})
	}
	return out
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
// its number, the offset of its content and the offset just past it.
// Other wire types are refused: a WriteRequest has only length-delimited
// fields.
func nextField(b []byte, off int) (field uint64, start, end int, err error) {
	tag, n := binary.Uvarint(b[off:])
	if n <= 0 || tag&7 != 2 {
		return 0, 0, 0, fmt.Errorf("%w: bad tag at byte %d", errBadBody, off)
	}
	size, m := binary.Uvarint(b[off+n:])
	if m <= 0 || size > uint64(len(b)-off-n-m) {
		return 0, 0, 0, fmt.Errorf("%w: bad length at byte %d", errBadBody, off)
	}
	return tag >> 3, off + n + m, off + n + m + int(size), nil
}

// DecodeSeries decodes body (a remote-write 1.0 WriteRequest) and returns
// views of its first limit series (all when limit <= 0), the number of
// series and of metadata entries.
func DecodeSeries(body []byte, limit int) (views []adminapi.SeriesView, total, meta int, err error) {
	var wr prompb.WriteRequest
	if err := wr.Unmarshal(body); err != nil {
		return nil, 0, 0, fmt.Errorf("%w: %v", errBadBody, err)
	}
	views = []adminapi.SeriesView{}
	for i, ts := range wr.Timeseries {
		if limit > 0 && i >= limit {
			break
		}
		views = append(views, viewOf(ts))
	}
	return views, len(wr.Timeseries), len(wr.Metadata), nil
}

func viewOf(ts prompb.TimeSeries) adminapi.SeriesView {
	v := adminapi.SeriesView{Labels: labelString(ts.Labels), Samples: len(ts.Samples), Histograms: len(ts.Histograms)}
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
		v.LastValue = adminapi.Float(ts.Samples[n-1].Value)
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
