package replay

import (
	"fmt"

	"github.com/cespare/xxhash/v2"
	"github.com/golang/snappy"
	"github.com/klauspost/compress/s2"
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
// 0. It is reused from batch to batch by the worker's goroutine; only
// encode may run concurrently, for distinct lanes and senders.
type laneDivider struct {
	raw     []byte   // one record's body at a time
	bodies  [][]byte // per lane: its remote-write 1.0 body
	blocks  [][]byte // per sender: the snappy block of the lane it sends
	parts   []queue.Batch
	samples []int // per lane: its samples
	entries []int // per lane: its entries other than metadata
}

// divide returns b divided into n lanes, each a queue.Batch with b's
// bounds, tenant, flags and its own sample count; encode(l, s) gives lane
// l its Snappy block. The batches are valid until the next divide. It fails
// when b does not decompress whole or its body does not parse into
// entries.
func (d *laneDivider) divide(b *queue.Batch, n int) ([]queue.Batch, error) {
	d.bodies = grow(d.bodies, n)
	d.reserve(b, n)
	d.parts = d.parts[:0]
	d.samples = append(d.samples[:0], make([]int, n)...)
	d.entries = append(d.entries[:0], make([]int, n)...)
	var err error
	d.raw, err = b.EachBody(d.raw[:0], func(raw []byte) error { return d.add(raw, n) })
	if err != nil {
		return nil, err
	}
	for l := range n {
		d.parts = append(d.parts, queue.Batch{First: b.First, Last: b.Last, Tenant: b.Tenant,
			Samples: d.samples[l], Records: b.Records, StartTimestamps: b.StartTimestamps})
	}
	return d.parts, nil
}

// reserve makes room in the lane bodies for b's body divided n ways, a
// quarter to spare for uneven lanes, in one allocation when some lane
// lacks it: lanes regrown by appending copy their bytes several times
// over. A lane that still outgrows its share grows on its own.
func (d *laneDivider) reserve(b *queue.Batch, n int) {
	size, err := snappy.DecodedLen(b.Snappy)
	if err != nil {
		return
	}
	share := size/n + size/(4*n) + 512
	short := false
	for l := range d.bodies {
		short = short || cap(d.bodies[l]) < share
	}
	if !short {
		return
	}
	arena := make([]byte, 0, share*n)
	for l := range d.bodies {
		d.bodies[l] = arena[l*share : l*share : (l+1)*share]
	}
}

// add appends the entries of raw, one record's remote-write 1.0 body, to
// their lanes among n.
func (d *laneDivider) add(raw []byte, n int) error {
	for i := 0; i < len(raw); {
		size, lane, samples, kind := entryLane(raw[i:], n)
		if size < 0 {
			return fmt.Errorf("%w: offset %d", errEntry, i)
		}
		entry := raw[i : i+size]
		i += size
		if kind == entryMetadata {
			for l := range n {
				d.bodies[l] = append(d.bodies[l], entry...)
			}
			continue
		}
		d.bodies[lane] = append(d.bodies[lane], entry...)
		d.samples[lane] += samples
		d.entries[lane]++
	}
	return nil
}

// encode compresses the body of lane l of the last divide into its
// batch's Snappy, in sender s's block: valid until s encodes another
// lane, so a lane is encoded just before it is sent (one block per
// sender rather than per lane halves what a wide read holds compressed).
// Calls for distinct lanes and senders may run concurrently; the blocks
// must have been grown to more than s (blocksFor).
func (d *laneDivider) encode(l, s int) {
	if need := s2.MaxEncodedLen(len(d.bodies[l])); cap(d.blocks[s]) < need {
		d.blocks[s] = make([]byte, need)
	}
	d.blocks[s] = s2.EncodeSnappy(d.blocks[s][:cap(d.blocks[s])], d.bodies[l])
	d.parts[l].Snappy = d.blocks[s]
}

// blocksFor makes room for the blocks of senders senders.
func (d *laneDivider) blocksFor(senders int) {
	for len(d.blocks) < senders {
		d.blocks = append(d.blocks, nil)
	}
}

// hasEntries reports whether lane l of the last divide holds anything
// but copies of the batch's metadata.
func (d *laneDivider) hasEntries(l int) bool { return d.entries[l] > 0 }

// laneRetain bounds the lane buffers a divider keeps from one batch to
// the next: a wide read of 2 × 4 batches of 5000 samples of 15-label
// series needs about 20 MB of bodies and blocks, kept while the queue
// stays wide (dropped once it is caught up, wideState.drop); only a
// batch of unusually large records leaves more, and that is let go.
const laneRetain = 64 << 20

// release lets go of the buffers once they hold more than laneRetain, so
// one huge batch does not pin its memory for as long as the queue stays
// wide. Below that they are kept: growing them afresh for every batch
// costs more than dividing it.
func (d *laneDivider) release() {
	held := cap(d.raw)
	for _, buf := range d.bodies {
		held += cap(buf)
	}
	for _, buf := range d.blocks {
		held += cap(buf)
	}
	if held > laneRetain {
		*d = laneDivider{}
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

// entryLane reads the top-level WriteRequest field at the start of buf
// and returns its size with its tag (negative when it does not parse),
// its lane among n lanes, its samples and histograms, and its kind. A
// TimeSeries' lane is the hash of its label fields (labelsHash); other
// entries are lane 0.
func entryLane(buf []byte, n int) (size, lane, samples, kind int) {
	num, typ, k, m := field(buf)
	if m < 0 {
		return -1, 0, 0, entryOther
	}
	switch {
	case num == fieldMetadata:
		return k + m, 0, 0, entryMetadata
	case num != fieldTimeseries || typ != protowire.BytesType:
		return k + m, 0, 0, entryOther
	}
	ts, _ := protowire.ConsumeBytes(buf[k:])
	h, samples := labelsHash(ts)
	return k + m, int(h % uint64(n)), samples, entrySeries
}

// labelsHash hashes the label fields of ts, a TimeSeries body, in their
// order, and counts its samples and histograms; a body that stops parsing
// is read as far as it parsed. The hash is xxhash of the label fields'
// bytes, one after the other, as they stand: adjacent ones (the usual
// layout) are hashed in one piece, without a streaming digest.
func labelsHash(ts []byte) (uint64, int) {
	var d *xxhash.Digest // only for label fields that are not adjacent
	samples, runLo, runHi := 0, 0, 0
	for i := 0; i < len(ts); {
		num, typ, k, m := field(ts[i:])
		if m < 0 {
			break
		}
		switch {
		case num == fieldLabels && i == runHi:
			runHi = i + k + m
		case num == fieldLabels:
			if d == nil {
				d = xxhash.New()
			}
			d.Write(ts[runLo:runHi])
			runLo, runHi = i, i+k+m
		case typ == protowire.BytesType && (num == fieldSamples || num == fieldHistograms):
			samples++
		}
		i += k + m
	}
	if d == nil {
		return xxhash.Sum64(ts[runLo:runHi]), samples
	}
	d.Write(ts[runLo:runHi])
	return d.Sum64(), samples
}

// lanesFor returns how many lanes batch b is sent as: the lanes of the
// split it resumes, else one with one request in flight, else one per
// batchSamples samples (rounded up), at most lanesPerSender per request
// in flight.
func lanesFor(b *queue.Batch, batchSamples, maxInFlight int) (int, error) {
	if n := int(b.Split.Lanes); n != 0 {
		if n > maxLanes || int(b.Split.Lane) >= n {
			return 0, fmt.Errorf("replay: split of lane %d of %d lanes does not fit", b.Split.Lane, n)
		}
		return n, nil
	}
	if maxInFlight <= 1 {
		return 1, nil
	}
	n := (b.Samples + batchSamples - 1) / batchSamples
	return max(min(n, maxInFlight*lanesPerSender, maxLanes), 1), nil
}
