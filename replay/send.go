package replay

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/golang/snappy"

	"github.com/prws/prws/queue"
)

// encode prepares a batch for sending, once per batch so that every
// retry sends the same bytes (wireState.cur): the batch's 1.0 snappy
// block as the queue joined it, sent as it is, or for a ProtocolV2
// endpoint its 2.0 conversion. A batch with start timestamps
// (queue.Batch.StartTimestamps) goes to a 1.0 endpoint without them
// (v1Form). It is valid until the next encode.
func (w *Worker) encode(b *queue.Batch) {
	ws := w.ep.wire
	ws.v1, ws.cur, ws.batchV2, ws.empty = b.Snappy, b.Snappy, false, false
	ws.batch, ws.v1Done, ws.rawDone = b, !b.StartTimestamps, false
	if ws.v2 {
		if out, ok := w.encodeV2(b); ok {
			ws.cur = out
			return
		}
	}
	ws.cur = w.v1Form()
}

// v1Form returns the current batch as remote-write 1.0: its block as
// the queue joined it, or, for a batch with start timestamps, the body
// without them (stStripper), compressed again, made once per batch;
// the start timestamps dropped are counted then. A batch that does not
// decompress or strip is sent as it is: a 1.0 decoder skips the fields.
func (w *Worker) v1Form() []byte {
	ws := w.ep.wire
	if ws.v1Done {
		return ws.v1
	}
	ws.v1Done = true
	var err error
	if !ws.rawDone {
		if ws.raw, err = ws.batch.AppendBody(ws.raw[:0]); err != nil {
			w.log.Error("batch does not decompress; sending it with its start timestamps", "err", err)
			return ws.v1
		}
		ws.rawDone = true
	}
	var dropped int
	if ws.stripped, dropped, err = ws.strip.strip(ws.stripped[:0], ws.raw); err != nil {
		w.log.Error("batch does not parse; sending it with its start timestamps", "err", err)
		return ws.v1
	}
	w.m.stDropped.Add(float64(dropped))
	if n := snappy.MaxEncodedLen(len(ws.stripped)); cap(ws.v1buf) < n {
		ws.v1buf = make([]byte, n)
	}
	ws.v1 = snappy.Encode(ws.v1buf[:cap(ws.v1buf)], ws.stripped)
	return ws.v1
}

// encodeV2 decompresses b, converts it to a 2.0 request and
// snappy-compresses that into the protocol state's buffer; false when b
// does not decompress or convert (it is then sent as 1.0).
func (w *Worker) encodeV2(b *queue.Batch) ([]byte, bool) {
	ws := w.ep.wire
	var err error
	if ws.raw, err = b.AppendBody(ws.raw[:0]); err != nil {
		w.log.Error("batch does not decompress; sending it as 1.0", "err", err)
		return nil, false
	}
	ws.rawDone = true
	return w.convertV2(ws.raw, b.StartTimestamps)
}

// convertV2 converts body, a remote-write 1.0 request (with start
// timestamp fields when startTimestamps), to 2.0 and snappy-compresses it
// into the protocol state's buffer; false when it does not convert (it is
// then sent as 1.0).
func (w *Worker) convertV2(body []byte, startTimestamps bool) ([]byte, bool) {
	ws := w.ep.wire
	raw, series, err := ws.conv.Encode(body, startTimestamps)
	if err != nil {
		w.log.Error("batch does not convert to remote-write 2.0; sending it as 1.0", "err", err)
		return nil, false
	}
	if n := snappy.MaxEncodedLen(len(raw)); cap(ws.buf) < n {
		ws.buf = make([]byte, n)
	}
	ws.batchV2, ws.empty = true, series == 0
	return snappy.Encode(ws.buf[:cap(ws.buf)], raw), true
}

// attempt POSTs the batch encode prepared (or its 1.0 form once the
// backend refused 2.0) and classifies the answer. ok is false when ctx
// (the worker's, not the request timeout) ended the attempt; the attempt
// is then not counted. A 2.0 batch without series (metadata only) is
// delivered without a request: 2.0 cannot carry it.
func (w *Worker) attempt(ctx context.Context, tenant string) (res Result, ok bool) {
	ws := w.ep.wire
	switch {
	case ws.err != nil:
		return Result{Verdict: Retry, Code: "config", Err: ws.err}, true
	case w.urlErr != nil:
		return Result{Verdict: Retry, Code: "network", Err: w.urlErr}, true
	case ws.batchV2 && ws.empty:
		return Result{Verdict: Delivered}, true
	}
	res, ok, refused := w.post(ctx, ws.cur, tenant)
	if ok && refused {
		w.fallBack(res)
		res, ok, _ = w.post(ctx, ws.cur, tenant)
	}
	return res, ok
}

// fallBack switches the worker to 1.0 for good after the backend refused
// a 2.0 request, and sends the current batch's 1.0 block instead.
func (w *Worker) fallBack(res Result) {
	ws := w.ep.wire
	ws.v2, ws.batchV2 = false, false
	ws.cur = w.v1Form()
	w.log.Warn("backend does not take remote-write 2.0; sending remote-write 1.0 from now on",
		"status", res.Status)
}

// post sends body once. refused reports a backend that does not take the
// 2.0 request just sent (see wireState.refused).
func (w *Worker) post(ctx context.Context, body []byte, tenant string) (res Result, ok, refused bool) {
	rctx, cancel := context.WithTimeout(ctx, w.ep.Timeout)
	defer cancel()
	req, err := w.newRequest(rctx, body, tenant)
	if err != nil {
		return Result{Verdict: Retry, Code: "network", Err: err}, true, false
	}
	start := w.opts.Now()
	w.m.inFlight.Inc()
	resp, err := w.ep.Client.Do(req)
	w.m.inFlight.Dec()
	refused = err == nil && w.ep.wire.refused(resp)
	res = Classify(resp, err, w.opts.Now())
	if ctx.Err() != nil {
		return res, false, false
	}
	took := w.opts.Now().Sub(start)
	w.m.duration.Observe(took.Seconds())
	if res.Verdict != Retry {
		w.lat.observe(took)
	}
	w.m.sentBytes.Add(float64(len(body)))
	w.m.request(res.Code)
	return res, true, refused
}

// newRequest builds the remote-write request in the batch's protocol.
// Endpoint headers come first so they cannot override the protocol
// headers; the tenant header comes last.
func (w *Worker) newRequest(ctx context.Context, body []byte, tenant string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.ep.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("replay: build request for backend %s", w.ep.Name)
	}
	for k, v := range w.ep.Headers {
		req.Header.Set(k, v)
	}
	ct, version := contentTypeV1, versionV1
	if w.ep.wire.batchV2 {
		ct, version = contentTypeV2, versionV2
	}
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-Prometheus-Remote-Write-Version", version)
	req.Header.Set("User-Agent", w.ep.UserAgent)
	if tenant != "" {
		req.Header.Set(w.opts.TenantHeader, tenant)
	}
	return req, nil
}

// redact removes the raw URL from an error text, in case a transport
// error quoted it.
func (w *Worker) redact(msg string) string {
	if w.ep.URL == "" {
		return msg
	}
	return strings.ReplaceAll(msg, w.ep.URL, w.ep.Name)
}
