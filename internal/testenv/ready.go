package testenv

import (
	"io"
	"net/http"
	"time"
)

// WaitReady polls http://listen/-/ready every 10 ms until it answers 200
// (true), p exits or limit passes (false).
func WaitReady(listen string, p *Proc, limit time.Duration) bool {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if resp, err := c.Get("http://" + listen + "/-/ready"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		select {
		case <-p.Done():
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
	return false
}
