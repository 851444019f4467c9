package replay

import (
	"context"
	"fmt"

	"github.com/golang/snappy"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
)

// A Refused answer means something in the batch is wrong, or that the
// backend refuses every write (a wrong path on a receiver that answers
// 400 for it, a receiver that is switched off): splitting the batch then
// would send some 2·n requests and dead-letter every series. So before a
// batch's first refusal is taken for the content's fault, the worker sends the backend an empty write request in the same
// protocol, which every remote-write receiver accepts. Accepted: the
// content was refused, and the batch is split. Not accepted: the backend
// refuses everything; the batch is retried with backoff like any backend
// failure, the backend is marked down at once and
// prws_backend_refusing_all is set, until a request is accepted again.

// vouch decides whether res, a Refused answer to the batch being
// delivered, is about its content. It returns a Delivered Result when it
// is: the backend accepted an empty request during this batch (the probe
// is sent once per batch). Otherwise it returns the failure to retry: the probe's
// own when that is retryable (a 5xx, a network error), else res marked
// as a backend refusing every write. ok is false when ctx ended first.
func (w *Worker) vouch(ctx context.Context, tenant string, res Result) (Result, bool) {
	if w.probed {
		return Result{Verdict: Delivered}, true
	}
	p, ok := w.probe(ctx, tenant)
	switch {
	case !ok:
		return p, false
	case p.Verdict == Delivered:
		w.probed = true
		return p, true
	case p.Verdict == Retry && !p.Down:
		return p, true
	}
	w.log.Warn("backend refuses even an empty write request; retrying the batch as a backend failure",
		"status", res.Status, "probe_status", p.Status)
	return refusesAll(res), true
}

// probe sends an empty write request in the protocol of the batch being
// delivered. ok is false when ctx ended it.
func (w *Worker) probe(ctx context.Context, tenant string) (Result, bool) {
	ws := w.ep.wire
	body := snappy.Encode(nil, nil)
	if ws.batchV2 {
		req := writev2.Request{Symbols: []string{""}}
		raw, err := req.Marshal()
		if err != nil {
			return Result{Verdict: Retry, Err: fmt.Errorf("replay: marshal empty request: %w", err)}, true
		}
		body = snappy.Encode(nil, raw)
	}
	w.m.probes.Inc()
	res, ok, _ := w.post(ctx, body, tenant)
	return res, ok
}

// refusesAll turns a Refused answer into the retryable failure of a
// backend that refuses every write.
func refusesAll(res Result) Result {
	res.Verdict, res.Down = Retry, true
	res.Err = fmt.Errorf("backend refuses every write request, even an empty one: %w", res.Err)
	return res
}
