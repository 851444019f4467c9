package watchdog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

// StatusError is a probe answered with a non-2xx status.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return fmt.Sprintf("probe answered HTTP %d", e.Code) }

// errBadURL replaces a URL parse error, which would quote the URL.
var errBadURL = errors.New("probe: invalid backend URL")

// emptyWriteBody returns the snappy block of an empty remote-write 1.0
// WriteRequest.
func emptyWriteBody() []byte {
	raw, err := (&prompb.WriteRequest{}).Marshal()
	if err != nil { // cannot happen for an empty message
		raw = nil
	}
	return snappy.Encode(nil, raw)
}

// probe sends one empty write to b and returns nil when it is healthy.
// The error never contains the URL.
func (w *Watchdog) probe(ctx context.Context, b *backend) error {
	ctx, cancel := context.WithTimeout(ctx, w.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url, bytes.NewReader(w.body))
	if err != nil {
		return errBadURL
	}
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	req.Header.Set("User-Agent", UserAgent)
	resp, err := b.client.Do(req)
	if resp != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		_ = resp.Body.Close()
	}
	return classify(resp, err)
}

// UserAgent is sent with every probe, so backends can tell probes apart.
const UserAgent = "prws-watchdog"

// classify is the one place that decides a probe's verdict: 2xx is
// healthy; any other status, a timeout or a network error is not.
func classify(resp *http.Response, err error) error {
	if err != nil {
		return redact(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{Code: resp.StatusCode}
	}
	return nil
}

// redact strips the URL that net/http puts into client errors.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("probe %s: %w", ue.Op, ue.Err)
	}
	return err
}
