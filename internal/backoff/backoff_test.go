package backoff

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const ms = time.Millisecond

func fixed(v float64) func() float64 { return func() float64 { return v } }

func TestNextSequence(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []time.Duration
	}{
		{"none doubles to max", Options{Min: 100 * ms, Max: time.Second, Jitter: JitterNone},
			[]time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second, time.Second}},
		{"defaults", Options{Jitter: JitterNone},
			[]time.Duration{200 * ms, 400 * ms, 800 * ms, 1600 * ms}},
		{"full jitter low end is min", Options{Min: 100 * ms, Max: time.Second, Jitter: JitterFull, Rand: fixed(0)},
			[]time.Duration{100 * ms, 100 * ms, 100 * ms}},
		{"full jitter high end is step", Options{Min: 100 * ms, Max: time.Second, Jitter: JitterFull, Rand: fixed(0.5)},
			[]time.Duration{100 * ms, 150 * ms, 250 * ms, 450 * ms}},
		{"equal jitter low end is half step", Options{Min: 100 * ms, Max: time.Second, Rand: fixed(0)},
			[]time.Duration{100 * ms, 100 * ms, 200 * ms, 400 * ms, 500 * ms, 500 * ms}},
		{"equal jitter middle", Options{Min: 100 * ms, Max: 800 * ms, Rand: fixed(0.5)},
			[]time.Duration{100 * ms, 150 * ms, 300 * ms, 600 * ms, 600 * ms}},
		{"max below min raised", Options{Min: time.Second, Max: ms, Jitter: JitterNone},
			[]time.Duration{time.Second, time.Second}},
		{"bad rand treated as zero", Options{Min: 100 * ms, Max: time.Second, Jitter: JitterFull, Rand: fixed(7)},
			[]time.Duration{100 * ms, 100 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(tt.opts)
			for i, want := range tt.want {
				if got := b.Next(0); got != want {
					t.Fatalf("wait %d = %v, want %v", i, got, want)
				}
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		retryAfter time.Duration
		want       time.Duration
	}{
		{"used as is", Options{Max: 30 * time.Second}, 2 * time.Second, 2 * time.Second},
		{"below min kept", Options{Min: time.Second}, 10 * ms, 10 * ms},
		{"capped at max by default", Options{Max: 5 * time.Second}, time.Hour, 5 * time.Second},
		{"capped at RetryAfterMax", Options{Max: 5 * time.Second, RetryAfterMax: time.Minute}, time.Hour, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := New(tt.opts).Next(tt.retryAfter); got != tt.want {
				t.Fatalf("Next(%v) = %v, want %v", tt.retryAfter, got, tt.want)
			}
		})
	}
}

func TestRetryAfterAdvancesAndResetRestarts(t *testing.T) {
	b := New(Options{Min: 100 * ms, Max: 10 * time.Second, Jitter: JitterNone})
	b.Next(time.Second)
	b.Next(time.Second)
	if got := b.Next(0); got != 400*ms {
		t.Fatalf("after two Retry-After waits got %v, want 400ms", got)
	}
	b.Reset()
	if got := b.Next(0); got != 100*ms {
		t.Fatalf("after Reset got %v, want 100ms", got)
	}
}

func TestManyAttemptsStayCapped(t *testing.T) {
	b := New(Options{Min: ms, Max: time.Minute, Jitter: JitterNone})
	var d time.Duration
	for range 1000 {
		d = b.Next(0)
	}
	if d != time.Minute {
		t.Fatalf("after 1000 attempts got %v, want 1m", d)
	}
}

func TestOptionsNotModified(t *testing.T) {
	o := Options{}
	New(o)
	if o.Min != 0 || o.Max != 0 || o.RetryAfterMax != 0 || o.Rand != nil {
		t.Fatalf("caller's Options modified: %+v", o)
	}
}
