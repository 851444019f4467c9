package ingest

import (
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/prometheus/prometheus/model/labels"
)

// Defaults applied by NewHandler to zero (or negative) Options fields.
const (
	DefaultMaxBodyBytes     = 32 << 20
	DefaultMaxDecodedBytes  = 256 << 20
	DefaultMaxInflightBytes = 512 << 20
	DefaultBatchSamples     = 5000
	DefaultRetryAfter       = 5 * time.Second
)

// Options configures a Handler. The zero value works; NewHandler applies
// the defaults to a private copy and never writes back.
type Options struct {
	// MaxBodyBytes caps the compressed body; beyond it the answer is 413.
	// Default 32 MiB.
	MaxBodyBytes int64
	// MaxDecodedBytes caps the snappy-decoded size announced in the snappy
	// header, checked before anything is allocated (400 beyond it).
	// Default 256 MiB.
	MaxDecodedBytes int64
	// MaxInflightBytes caps the decoded bytes of all requests being
	// processed at once; a request that would pass it gets 503 at once
	// (a request alone is always admitted). Default 512 MiB.
	MaxInflightBytes int64
	// BatchSamples caps the samples (plus histograms) of one queue record,
	// the --batch flag; records split only at series boundaries, so a
	// single larger series makes a larger record. Default 5000.
	BatchSamples int

	// MaxLabelsPerSeries, MaxLabelNameLen and MaxLabelValueLen (bytes) cap
	// what a series may carry; 0 (the default) means unlimited.
	MaxLabelsPerSeries int
	MaxLabelNameLen    int
	MaxLabelValueLen   int

	// ExternalLabels are merged into every series that lacks them (a label
	// the series already has keeps its value). Series that need it take the
	// slow path. Default none. Check them with Validate.
	ExternalLabels labels.Labels
	// ForceSelfTimestamp replaces the timestamp of every sample and
	// histogram by the receive time (ms). Exemplars keep theirs. Every
	// series with samples takes the slow path. Default off.
	ForceSelfTimestamp bool

	// RetryAfter is the Retry-After sent with every 503. Default 5 s.
	RetryAfter time.Duration
	// TenantHeader names the request header whose value becomes
	// queue.Record.Tenant. Empty (the default) disables tenancy.
	TenantHeader string
	// Limiter decides per series whether it is admitted. Nil: all are.
	Limiter Limiter
	// TenantLimiter caps each tenant's samples per second (needs
	// TenantHeader; tenantlimit.go). Nil: no tenant limit.
	TenantLimiter *TenantLimiter
	// Logger receives rare events (internal errors). Default slog.Default().
	Logger *slog.Logger
	// Now returns the receive time. Default time.Now.
	Now func() time.Time
}

// Validate reports options NewHandler cannot honour: an invalid external
// label (empty or non-UTF-8 name, invalid UTF-8 value, repeated name).
func (o *Options) Validate() error {
	var err error
	prev := ""
	o.ExternalLabels.Range(func(l labels.Label) {
		switch {
		case err != nil:
		case l.Name == "" || !utf8.ValidString(l.Name) || !utf8.ValidString(l.Value):
			err = fmt.Errorf("external label %q=%q: %w", l.Name, l.Value, ErrInvalidLabels)
		case l.Name == prev:
			err = fmt.Errorf("external label %q repeated: %w", l.Name, ErrInvalidLabels)
		}
		prev = l.Name
	})
	return err
}

// withDefaults returns a copy of o with defaults applied.
func (o Options) withDefaults() Options {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxDecodedBytes <= 0 {
		o.MaxDecodedBytes = DefaultMaxDecodedBytes
	}
	if o.MaxInflightBytes <= 0 {
		o.MaxInflightBytes = DefaultMaxInflightBytes
	}
	if o.BatchSamples <= 0 {
		o.BatchSamples = DefaultBatchSamples
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = DefaultRetryAfter
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
