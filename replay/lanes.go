package replay

import (
	"fmt"

	"github.com/cespare/xxhash/v2"
	"github.com/golang/snappy"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/prws/prws/queue"
)

// maxLanes bounds the lanes of one batch, whatever a persisted split
// claims; Options.MaxInFlight is capped to it.
const maxLanes = 64

// laneDivider divides a batch into lanes: requests of disjoint series, so
// that they may be in flight at once while every series keeps its order.
// A series goes to the lane of the xxhash of its label fields, as the
// bytes stand, modulo the number of lanes: a pure function of the batch
// and that number, so a batch divided again after a restart has the same
// lanes. Metadata entries go to every lane (a 2.0 conversion takes the
// metadata of its series from its own body); any other entry goes to lane
// 0. It is reused from batch to batch by the worker's goroutine and not
// safe for concurrent use.
type laneDivider struct {
	raw     []byte // the batch body
	x       entryIndex
	bodies  [][]byte // per lane: its remote-write 1.0 body
	blocks  [][]byte // per lane: the body as one snappy block
	parts   []queue.Batch
	samples []int // per lane: its samples
	entries []int // per lane: its entries other than metadata
}

// divide returns b divided into n lanes, each a queue.Batch with b's
// bounds, tenant and flags and its own Snappy block and sample count. The
// batches are valid until the next divide. It fails when b does not
// decompress whole or its body does not parse into entries.
func (d *laneDivider) divide(b *queue.Batch, n int) ([]queue.Batch, error) {
	raw, err := b.AppendBody(d.raw[:0])
	d.raw = raw
	if err != nil {
		return nil, err
	}
	if err := d.x.index(raw); err != nil {
		return nil, err
	}
	d.bodies = grow(d.bodies, n)
	d.blocks = grow(d.blocks, n)
	d.parts = d.parts[:0]
	d.samples = append(d.samples[:0], make([]int, n)...)
	d.entries = append(d.entries[:0], make([]int, n)...)
	samples := d.samples
	for i := range d.x.n() {
		entry := d.x.span(raw, i, i+1)
		switch lane, kind := laneOf(entry, n); kind {
		case entryMetadata:
			for l := range n {
				d.bodies[l] = append(d.bodies[l], entry...)
			}
		default:
			d.bodies[lane] = append(d.bodies[lane], entry...)
			samples[lane] += d.x.samples[i]
			d.entries[lane]++
		}
	}
	for l := range n {
		if need := snappy.MaxEncodedLen(len(d.bodies[l])); cap(d.blocks[l]) < need {
			d.blocks[l] = make([]byte, need)
		}
		d.blocks[l] = snappy.Encode(d.blocks[l][:cap(d.blocks[l])], d.bodies[l])
		d.parts = append(d.parts, queue.Batch{First: b.First, Last: b.Last, Tenant: b.Tenant,
			Samples: samples[l], Records: b.Records, StartTimestamps: b.StartTimestamps, Snappy: d.blocks[l]})
	}
	return d.parts, nil
}

// hasEntries reports whether lane l of the last divide holds anything
// but copies of the batch's metadata.
func (d *laneDivider) hasEntries(l int) bool { return d.entries[l] > 0 }

// release drops buffers grown past splitRetain, so one huge batch does
// not pin its memory for ever.
func (d *laneDivider) release() {
	if cap(d.raw) > splitRetain {
		d.raw = nil
	}
	for l := range d.bodies {
		if cap(d.bodies[l]) > splitRetain/len(d.bodies) {
			d.bodies[l] = nil
		}
		if cap(d.blocks[l]) > splitRetain/len(d.blocks) {
			d.blocks[l] = nil
		}
	}
}

// grow returns bufs with n emptied buffers, keeping their capacity.
func grow(bufs [][]byte, n int) [][]byte {
	for len(bufs) < n {
		bufs = append(bufs, nil)
	}
	bufs = bufs[:n]
	for i := range bufs {
		bufs[i] = bufs[i][:0]
	}
	return bufs
}

// Kinds of top-level entry, for laneOf.
const (
	entrySeries = iota
	entryMetadata
	entryOther
)

// laneOf returns the lane of entry, one top-level WriteRequest field with
// its tag, among n lanes, and its kind. A TimeSeries' lane is the hash of
// its label fields; other entries are lane 0.
func laneOf(entry []byte, n int) (int, int) {
	num, typ, k := protowire.ConsumeTag(entry)
	switch {
	case k < 0:
		return 0, entryOther
	case num == fieldMetadata:
		return 0, entryMetadata
	case num != fieldTimeseries || typ != protowire.BytesType:
		return 0, entryOther
	}
	ts, m := protowire.ConsumeBytes(entry[k:])
	if m < 0 {
		return 0, entryOther
	}
	return int(labelsHash(ts) % uint64(n)), entrySeries
}

// labelsHash hashes the label fields of ts, a TimeSeries body, in their
// order; a body that stops parsing is hashed as far as it parsed.
func labelsHash(ts []byte) uint64 {
	var d xxhash.Digest
	d.Reset()
	for len(ts) > 0 {
		num, typ, k := protowire.ConsumeTag(ts)
		if k < 0 {
			break
		}
		m := protowire.ConsumeFieldValue(num, typ, ts[k:])
		if m < 0 {
			break
		}
		if num == fieldLabels {
			d.Write(ts[:k+m])
		}
		ts = ts[k+m:]
	}
	return d.Sum64()
}

// lanesFor returns how many lanes batch b is sent as: the lanes of the
// split it resumes, else one per batchSamples samples (rounded up), at
// most maxInFlight.
func lanesFor(b *queue.Batch, batchSamples, maxInFlight int) (int, error) {
	if n := int(b.Split.Lanes); n != 0 {
		if n > maxLanes || int(b.Split.Lane) >= n {
			return 0, fmt.Errorf("replay: split of lane %d of %d lanes does not fit", b.Split.Lane, n)
		}
		return n, nil
	}
	n := (b.Samples + batchSamples - 1) / batchSamples
	return max(min(n, maxInFlight), 1), nil
}
