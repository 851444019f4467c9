package watchdog

import (
	"log/slog"
	"net/http"
	"time"
)

// Target is one backend to watch.
type Target struct {
	// Name identifies the backend in logs and metrics; it must already be
	// redacted (no credentials or secret query parameters).
	Name string
	// URL is the remote-write endpoint probed. It is never logged.
	URL string
	// Client sends the probes; nil means http.DefaultClient. Options.Timeout
	// bounds each probe whatever the client's own timeout.
	Client *http.Client
}

// Ticker is the part of *time.Ticker the watchdog uses; tests inject one.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// Options configures a Watchdog. The zero value works.
type Options struct {
	// Interval between probe rounds. Default 5 s.
	Interval time.Duration
	// Timeout of one probe. Default 2 s. It also bounds Stop.
	Timeout time.Duration
	// FailAfter consecutive bad results take a backend down. Default 3.
	// Lower reacts faster and flaps more.
	FailAfter int
	// RecoverAfter consecutive good results bring it back. Default 2.
	RecoverAfter int
	// Logger receives one line per transition. Default: discard.
	Logger *slog.Logger
	// Metrics may be nil: unregistered metrics are used.
	Metrics *Metrics
	// OnChange, if set, is called after every transition, outside the
	// watchdog's lock, on the goroutine that caused it (the probe loop or
	// a ReportSendResult caller). It must not block.
	OnChange func()
	// NewTicker makes the probe ticker. Default wraps time.NewTicker.
	NewTicker func(d time.Duration) Ticker
	// Now is the clock for transition times. Default time.Now.
	Now func() time.Time
}

// withDefaults returns a copy of o with defaults applied.
func (o Options) withDefaults() Options {
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.FailAfter <= 0 {
		o.FailAfter = 3
	}
	if o.RecoverAfter <= 0 {
		o.RecoverAfter = 2
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.NewTicker == nil {
		o.NewTicker = newTimeTicker
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// timeTicker adapts *time.Ticker to Ticker.
type timeTicker struct{ t *time.Ticker }

func newTimeTicker(d time.Duration) Ticker { return timeTicker{time.NewTicker(d)} }
func (t timeTicker) C() <-chan time.Time   { return t.t.C }
func (t timeTicker) Stop()                 { t.t.Stop() }
