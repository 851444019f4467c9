package replay

import (
	"context"
	"errors"

	"github.com/golang/snappy"

	"github.com/prws/prws/queue"
)

// split delivers b, refused as a whole with first (zero when resuming a
// split persisted by an earlier run), by parts: a refused part is
// divided in two and each half sent in turn, left first, until a part
// is delivered or is a single entry, or a single sample of a series,
// which is parked alone with the backend's answer. Before each part is
// sent its position is persisted (queue.SetSplit), so after a crash the
// same part is sent again. Per-series order holds: parts go in batch
// order, and a series' samples are divided only in their order. When the
// batch body does not parse into entries it is parked whole. It returns
// false, leaving b unacknowledged, when ctx ends first or the queue is
// closed.
func (w *Worker) split(ctx context.Context, b queue.Batch, first Result) bool {
	defer w.releaseSplit()
	sp := &w.sp
	body, err := b.AppendBody(w.body[:0])
	w.body = body
	if err != nil {
		w.log.Error("refused batch keeps only the records that decompress", "err", err)
	}
	if err := sp.reset(body); err != nil || sp.x.n() == 0 {
		if first.Err == nil {
			first = Result{Verdict: Refused, Err: errEntry}
		}
		return w.park(ctx, b, body, b.Samples, first) && w.ack(ctx, b)
	}
	if !sp.startAt(b.Split) {
		w.log.Warn("split position does not fit the batch; splitting it again from the start")
	}
	res, answered := first, first.Err != nil
	for {
		if !answered {
			var ok bool
			if res, ok = w.sendPart(ctx, b); !ok {
				return false
			}
		}
		answered = false
		more, ok := w.settlePart(ctx, b, res)
		if !ok {
			return false
		}
		if !more {
			return w.ack(ctx, b)
		}
		if !w.setSplit(ctx, b, sp.position()) {
			return false
		}
	}
}

// splitRetain bounds the split buffers kept from one refused batch to the
// next, so one huge batch does not pin its memory for ever.
const splitRetain = 16 << 20

// releaseSplit drops the split's references to the batch body and frees
// buffers grown past splitRetain.
func (w *Worker) releaseSplit() {
	w.sp.body, w.sp.series = nil, nil
	if cap(w.body) > splitRetain {
		w.body = nil
	}
	if cap(w.partV1) > splitRetain {
		w.partV1 = nil
	}
	if cap(w.sp.scratch) > splitRetain {
		w.sp.scratch = nil
	}
}

// sendPart encodes the part in flight and sends it until it is
// delivered or refused.
func (w *Worker) sendPart(ctx context.Context, b queue.Batch) (Result, bool) {
	raw, _ := w.sp.part()
	w.encodePart(raw, b.StartTimestamps)
	return w.settle(ctx, b.Tenant)
}

// settlePart acts on res, the final answer to the part in flight:
// counts a delivery, divides a refused part that can be divided, or
// parks it. more is false once the whole batch is settled; ok is false
// when ctx ended first.
func (w *Worker) settlePart(ctx context.Context, b queue.Batch, res Result) (more, ok bool) {
	sp := &w.sp
	raw, samples := sp.part()
	switch {
	case res.Verdict == Delivered:
		w.onDelivered(samples)
	case sp.divisible():
		w.m.splits.Inc()
		sp.divide()
		return true, true
	default:
		if !w.park(ctx, b, raw, samples, res) {
			return false, false
		}
	}
	return sp.next(), true
}

// encodePart prepares raw, a part of the batch as a remote-write 1.0
// body (with start timestamp fields when startTimestamps), for sending,
// as encode does for a whole batch: its 1.0 form without start
// timestamps, and for a 2.0 endpoint its conversion with them.
func (w *Worker) encodePart(raw []byte, startTimestamps bool) {
	ws := w.ep.wire
	v1 := raw
	if startTimestamps {
		stripped, dropped, err := ws.strip.strip(ws.stripped[:0], raw)
		if err == nil { // else sent as is: a 1.0 decoder skips the fields
			ws.stripped, v1 = stripped, stripped
			w.m.stDropped.Add(float64(dropped))
		}
	}
	if n := snappy.MaxEncodedLen(len(v1)); cap(w.partV1) < n {
		w.partV1 = make([]byte, n)
	}
	ws.v1 = snappy.Encode(w.partV1[:cap(w.partV1)], v1)
	ws.v1Done = true // fallBack sends this part's 1.0 form
	ws.cur, ws.batchV2, ws.empty = ws.v1, false, false
	if ws.v2 {
		// 2.0 carries metadata on series: give the part the batch's.
		ws.raw = append(w.sp.appendMetadata(ws.raw[:0]), raw...)
		ws.rawDone = false // ws.raw no longer holds the whole batch
		if out, ok := w.convertV2(ws.raw, startTimestamps); ok {
			ws.cur = out
		}
	}
}

// setSplit persists the part in flight, retrying a failed write; false
// when ctx ended first or the queue is closed.
func (w *Worker) setSplit(ctx context.Context, b queue.Batch, s queue.Split) bool {
	for {
		err := w.src.SetSplit(b, s)
		if err == nil {
			return true
		}
		if w.final(ctx, err) {
			return false
		}
		if errors.Is(err, queue.ErrAckMismatch) {
			w.log.Error("persist split refused; going on unpersisted", "err", err)
			return true
		}
		w.log.Error("persist split; retrying", "err", err, "first", b.First, "last", b.Last)
		if !w.wait(ctx, 0) {
			return false
		}
	}
}
