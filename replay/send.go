package replay

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/golang/snappy"
)

// encode snappy-compresses body into the worker's reusable buffer. The
// result is valid until the next encode; every retry of a batch sends it.
func (w *Worker) encode(body []byte) []byte {
	if n := snappy.MaxEncodedLen(len(body)); cap(w.buf) < n {
		w.buf = make([]byte, n)
	}
	return snappy.Encode(w.buf[:cap(w.buf)], body)
}

// attempt POSTs body once and classifies the answer. ok is false when
// ctx (the worker's, not the request timeout) ended the attempt; the
// attempt is then not counted.
func (w *Worker) attempt(ctx context.Context, body []byte, tenant string) (res Result, ok bool) {
	if w.urlErr != nil {
		return Result{Verdict: Retry, Code: "network", Err: w.urlErr}, true
	}
	rctx, cancel := context.WithTimeout(ctx, w.ep.Timeout)
	defer cancel()
	req, err := w.newRequest(rctx, body, tenant)
	if err != nil {
		return Result{Verdict: Retry, Code: "network", Err: err}, true
	}
	start := w.opts.Now()
	resp, err := w.ep.Client.Do(req)
	res = Classify(resp, err, w.opts.Now())
	if ctx.Err() != nil {
		return res, false
	}
	w.m.duration.Observe(w.opts.Now().Sub(start).Seconds())
	w.m.sentBytes.Add(float64(len(body)))
	w.m.request(res.Code)
	return res, true
}

// newRequest builds the remote-write 1.0 request. Endpoint headers come
// first so they cannot override the protocol headers; the tenant header
// comes last.
func (w *Worker) newRequest(ctx context.Context, body []byte, tenant string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.ep.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("replay: build request for backend %s", w.ep.Name)
	}
	for k, v := range w.ep.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
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
