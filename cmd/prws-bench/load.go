package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loadOptions drive one load run.
type loadOptions struct {
	URL         string
	Concurrency int
	Rate        float64       // samples per second; 0 = unthrottled
	Duration    time.Duration // stop after this long
	MaxSamples  int64         // stop once this many samples were acknowledged; 0 = no cap
}

// loadResult is what a run measured.
type loadResult struct {
	OK, Non2xx, Errors int64
	Samples            int64 // acknowledged (2xx) samples
	Elapsed            time.Duration
	lat                []time.Duration // sorted ack latencies of 2xx answers
}

// rate is acknowledged samples per second.
func (r *loadResult) rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Samples) / r.Elapsed.Seconds()
}

// quantile returns the q-quantile of the 2xx ack latencies.
func (r *loadResult) quantile(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(int(q*float64(len(r.lat))), len(r.lat)-1)]
}

// newClient returns an HTTP client keeping one connection per worker.
func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
			DisableCompression: true,
		},
	}
}

// runLoad sends the bodies round-robin with o.Concurrency workers. With a
// rate, request n is not sent before start + n·(samples per request)/rate
// (open loop up to the worker count); its latency is measured from the
// moment it was sent.
func runLoad(ctx context.Context, bodies []body, o loadOptions) *loadResult {
	res := &loadResult{}
	runLoadInto(ctx, bodies, o, res)
	return res
}

// runLoadInto is runLoad accounting into res, whose Samples another
// goroutine may read with atomic.LoadInt64 while the load runs; the other
// fields are complete when it returns.
func runLoadInto(ctx context.Context, bodies []body, o loadOptions, res *loadResult) {
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	client := newClient(o.Concurrency)
	defer client.CloseIdleConnections()
	var next atomic.Int64
	var mu sync.Mutex // guards res.lat
	var wg sync.WaitGroup
	start := time.Now()
	perReq := float64(bodies[0].samples)
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			for ctx.Err() == nil {
				if o.MaxSamples > 0 && atomic.LoadInt64(&res.Samples) >= o.MaxSamples {
					break
				}
				n := next.Add(1) - 1
				if o.Rate > 0 && !waitUntil(ctx, start.Add(time.Duration(float64(n)*perReq/o.Rate*float64(time.Second)))) {
					break
				}
				b := &bodies[n%int64(len(bodies))]
				if d, ok := send(ctx, client, o.URL, b, res); ok {
					lat = append(lat, d)
				}
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(res.lat)
}

// waitUntil sleeps until t; false when ctx ended first.
func waitUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// send posts one body and accounts for the answer.
func send(ctx context.Context, c *http.Client, url string, b *body, res *loadResult) (time.Duration, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b.comp))
	if err != nil {
		atomic.AddInt64(&res.Errors, 1)
		return 0, false
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			atomic.AddInt64(&res.Errors, 1)
		}
		return 0, false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	d := time.Since(t0)
	if resp.StatusCode/100 != 2 {
		atomic.AddInt64(&res.Non2xx, 1)
		return 0, false
	}
	atomic.AddInt64(&res.OK, 1)
	atomic.AddInt64(&res.Samples, int64(b.samples))
	return d, true
}
