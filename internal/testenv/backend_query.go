package testenv

import (
	"crypto/sha256"
	"maps"
	"slices"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

// Addr is the backend's listening address (host:port).
func (b *Backend) Addr() string { return b.srv.Listener.Addr().String() }

// Requests returns how many requests arrived, answered or not.
func (b *Backend) Requests() int64 { return b.requests.Load() }

// SampleCount returns how many samples the backend accepted.
func (b *Backend) SampleCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.count
}

// Samples copies the accepted samples' timestamps in arrival order, by
// SeriesKey. It is empty when BackendOptions.SeriesOf is set.
func (b *Backend) Samples() map[string][]int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string][]int64, len(b.samples))
	for k, v := range b.samples {
		out[k] = slices.Clone(v)
	}
	return out
}

// MaxSeries returns the highest number in a "series" label accepted (0
// when none, or when BackendOptions.SeriesOf is set).
func (b *Backend) MaxSeries() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.maxID
}

// FirstHeader returns header k of the first request ("" if none, or
// without BackendOptions.KeepHeaders).
func (b *Backend) FirstHeader(k string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.headers) == 0 {
		return ""
	}
	return b.headers[0].Get(k)
}

// LastHeader returns header k of the last request ("" if none, or without
// BackendOptions.KeepHeaders).
func (b *Backend) LastHeader(k string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.headers) == 0 {
		return ""
	}
	return b.headers[len(b.headers)-1].Get(k)
}

// Stats returns the deliveries beyond the first (duplicates) and the
// per-series order regressions counted by sample key.
func (b *Backend) Stats() (dup int64, regress int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.got {
		dup += int64(n - 1)
	}
	return dup, b.regress
}

// Has reports whether the sample of key arrived.
func (b *Backend) Has(key uint64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got[key] > 0
}

// FirstAt returns when the sample of key first arrived, when Track was
// called before it did.
func (b *Backend) FirstAt(key uint64) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	at, ok := b.firstAt[key]
	return at, ok
}

// Attempts copies the arrival times of every request body, keyed by the
// body's SHA-256, as recorded since Track.
func (b *Backend) Attempts() map[[32]byte][]time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[[32]byte][]time.Time, len(b.attempts))
	for k, v := range b.attempts {
		out[k] = slices.Clone(v)
	}
	return out
}

// Raw copies every series accepted since KeepRaw, in arrival order.
func (b *Backend) Raw() []prompb.TimeSeries {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.raw)
}

// Codes copies how often each status code was answered.
func (b *Backend) Codes() map[int]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.codes)
}

// RetriedIdentically reports how many bodies were answered non-2xx and
// how many of them were later accepted byte for byte. The empty write
// request prws probes a refusing backend with is not counted: it is not
// data.
func (b *Backend) RetriedIdentically() (failed, thenAccepted int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	probe := sha256.Sum256(snappy.Encode(nil, nil))
	for h := range b.failed {
		if h == probe {
			continue
		}
		failed++
		if b.accepted[h] > 0 {
			thenAccepted++
		}
	}
	return failed, thenAccepted
}
