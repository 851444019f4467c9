package backoff

import (
	"math/rand/v2"
	"time"
)

// Jitter selects how a computed wait is randomised.
type Jitter uint8

const (
	// JitterEqual keeps half of the exponential step and randomises the
	// other half: the wait is uniform in [max(step/2, Min), step]. It is
	// the default: retries spread out yet never hammer a recovering backend
	// early.
	JitterEqual Jitter = iota
	// JitterFull randomises the whole step: the wait is uniform in
	// [Min, step]. It spreads many clients the most.
	JitterFull
	// JitterNone returns the exponential step itself; useful in tests.
	JitterNone
)

// Default bounds, matching the --remote_write_min_wait flag default and
// the usual remote-write maximum.
const (
	DefaultMin = 200 * time.Millisecond
	DefaultMax = 30 * time.Second
)

// Options configures a Backoff. The zero value works.
type Options struct {
	// Min is the first wait. Default DefaultMin (200 ms).
	Min time.Duration
	// Max caps every computed wait. Default DefaultMax (30 s). Raised to
	// Min when smaller.
	Max time.Duration
	// RetryAfterMax caps a wait a server asked for with Retry-After.
	// Default Max. A larger value lets a backend hold prws off for longer
	// than its own backoff would; a smaller one protects against a
	// misconfigured backend asking for hours.
	RetryAfterMax time.Duration
	// Jitter selects the randomisation. Default JitterEqual.
	Jitter Jitter
	// Rand returns a uniform float in [0, 1). Default math/rand/v2's
	// Float64 (safe for concurrent use). Inject a seeded source in tests.
	Rand func() float64
}

// Backoff is capped exponential backoff with jitter. Not safe for
// concurrent use; see the package documentation.
type Backoff struct {
	opts    Options // private copy with defaults applied
	attempt int     // consecutive Next calls since the last Reset
}

// New returns a Backoff whose first wait is around opts.Min. opts is
// copied; the caller's struct is never modified.
func New(opts Options) *Backoff {
	return &Backoff{opts: withDefaults(opts)}
}

func withDefaults(o Options) Options {
	if o.Min <= 0 {
		o.Min = DefaultMin
	}
	if o.Max <= 0 {
		o.Max = DefaultMax
	}
	if o.Max < o.Min {
		o.Max = o.Min
	}
	if o.RetryAfterMax <= 0 {
		o.RetryAfterMax = o.Max
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return o
}

// Next returns how long to wait before the next attempt and advances the
// exponent. retryAfter is the wait the server asked for (0 for none): when
// positive it is returned as is, capped at RetryAfterMax, without jitter,
// because the server knows when it will be ready.
func (b *Backoff) Next(retryAfter time.Duration) time.Duration {
	step := b.step()
	if b.attempt < 63 {
		b.attempt++
	}
	if retryAfter > 0 {
		return min(retryAfter, b.opts.RetryAfterMax)
	}
	return b.jitter(step)
}

// step is Min·2^attempt capped at Max, computed without overflow.
func (b *Backoff) step() time.Duration {
	d := b.opts.Min
	for i := 0; i < b.attempt && d < b.opts.Max; i++ {
		d *= 2
	}
	return min(d, b.opts.Max)
}

func (b *Backoff) jitter(step time.Duration) time.Duration {
	lo := b.opts.Min
	switch b.opts.Jitter {
	case JitterNone:
		return step
	case JitterEqual:
		lo = max(step/2, b.opts.Min)
	}
	r := b.opts.Rand()
	if r < 0 || r >= 1 {
		r = 0
	}
	return lo + time.Duration(r*float64(step-lo))
}

// Reset starts the sequence again from Min; call it after a success.
func (b *Backoff) Reset() { b.attempt = 0 }
