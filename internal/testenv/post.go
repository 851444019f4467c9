package testenv

import (
	"bytes"
	"io"
	"net/http"
)

// PostWrite sends body (a snappy-compressed remote-write 1.0 request)
// to url with c, plus the headers of hdr, and returns the status and the
// start of the answer's body (4 KiB at most); status 0 and the error's
// text when no answer came.
func PostWrite(c *http.Client, url string, body []byte, hdr map[string]string) (int, string) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, string(msg)
}
