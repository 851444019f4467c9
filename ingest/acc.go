package ingest

import "github.com/prws/prws/queue"

// recSpan is one future queue record: acc.buf[start:end].
type recSpan struct {
	kind       queue.Kind
	start, end int
	samples    int
}

// acc accumulates the payload bytes bound for one (backend, shard) target
// during one request. Records are cut at entry boundaries: spans holds the
// closed ones, open the one being filled. An acc is owned by one placer.
type acc struct {
	target Target    // set while touched
	buf    []byte    // the payload of every record, in order
	open   recSpan   // the record being filled (end unset); kind 0 when none
	spans  []recSpan // the records closed before open
	recs   []queue.Record
	zbuf   []byte // the records' compressed blocks (seal.go), in order
	zends  []int  // end of each record's block in zbuf; equal ends: stored raw
	// metaIn is, per metadata entry of a remote-write 2.0 request, the
	// ordinal + 1 of the last record it was added to (addWithMeta).
	metaIn []int32
}

// add appends payload p (one entry of the given kind, never 0) to the
// accumulator, opening a new record when the kind changes or the series
// record would pass max samples; a record always takes at least one entry.
func (a *acc) add(kind queue.Kind, p []byte, samples, max int) {
	if kind != a.open.kind || a.open.samples+samples > max && a.open.samples > 0 {
		a.cut(kind)
	}
	a.buf = append(a.buf, p...)
	a.open.samples += samples
}

// cut closes the open record, if any, and opens an empty one of kind
// (0: none) at the end of buf.
func (a *acc) cut(kind queue.Kind) {
	if a.open.kind != 0 {
		a.open.end = len(a.buf)
		a.spans = append(a.spans, a.open)
	}
	a.open = recSpan{kind: kind, start: len(a.buf)}
}

// records closes the open record and materialises every record as a
// queue record sharing a.buf. The slice and the payloads stay owned by a:
// valid until reset.
func (a *acc) records(tenant string) []queue.Record {
	a.cut(0)
	a.recs = a.recs[:0]
	for _, s := range a.spans {
		a.recs = append(a.recs, queue.Record{
			Kind: s.kind, Tenant: tenant, Samples: s.samples, Payload: a.buf[s.start:s.end:s.end],
		})
	}
	return a.recs
}

// bind starts a's use by a request: records go to t, and buf has room
// for at least est bytes (a size hint: the payload may grow past it).
// a must be reset.
func (a *acc) bind(t Target, est int) {
	a.target = t
	if cap(a.buf) < est {
		a.buf = make([]byte, 0, est)
	}
}

// reset forgets the request: the target reference (so a pooled state
// does not pin a closed queue), the records and a buffer over keep bytes.
func (a *acc) reset(keep int) {
	a.target, a.buf, a.spans, a.open = nil, a.buf[:0], a.spans[:0], recSpan{}
	a.zbuf, a.zends = a.zbuf[:0], a.zends[:0]
	clear(a.metaIn)
	a.metaIn = a.metaIn[:0]
	clear(a.recs)
	if cap(a.buf) > keep {
		a.buf = nil
	}
	if cap(a.zbuf) > keep {
		a.zbuf = nil
	}
}
