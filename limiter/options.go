package limiter

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ErrOptions is returned by New when Options hold an invalid value.
var ErrOptions = errors.New("limiter: invalid options")

// Options configures a Limiter. The zero value works: no limits, nothing
// tracked, nothing persisted.
type Options struct {
	// MaxHourlySeries is the number of distinct series admitted per UTC
	// hour. 0 disables the hourly window.
	MaxHourlySeries int64
	// MaxDailySeries is the number of distinct series admitted per UTC
	// day. 0 disables the daily window.
	MaxDailySeries int64
	// FlushInterval is how often admitted series are persisted, and so
	// how many a hard crash may forget. Default 1 s. Shorter costs one
	// fsynced transaction more often.
	FlushInterval time.Duration
	// Now is the clock. Default time.Now. Only its UTC Unix seconds are
	// used.
	Now func() time.Time
	// Logger receives flush failures. Default: discard.
	Logger *slog.Logger
	// Metrics may be nil: unregistered metrics are used.
	Metrics *Metrics
}

// DefaultFlushInterval is the FlushInterval used when Options leave it 0.
const DefaultFlushInterval = time.Second

// Bucket is the top-level store bucket the limiter owns.
const Bucket = "limiter"

// withDefaults validates o and returns a copy with defaults applied.
func (o Options) withDefaults() (Options, error) {
	if o.MaxHourlySeries < 0 || o.MaxDailySeries < 0 || o.FlushInterval < 0 {
		return o, fmt.Errorf("%w: negative limit or interval", ErrOptions)
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	return o, nil
}

// limit returns the configured limit of window w.
func (o Options) limit(w window) int64 {
	if w == hour {
		return o.MaxHourlySeries
	}
	return o.MaxDailySeries
}
