package config

import (
	"errors"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		bare time.Duration
		want time.Duration
		ok   bool
	}{
		{"5", time.Second, 5 * time.Second, true},
		{"200", time.Millisecond, 200 * time.Millisecond, true},
		{"0", 0, 0, true},
		{"5", 0, 0, false},
		{"5s", time.Second, 5 * time.Second, true},
		{"7d", 0, 7 * 24 * time.Hour, true},
		{"1w", 0, 7 * 24 * time.Hour, true},
		{"1h30m", 0, 90 * time.Minute, true},
		{"1.5s", 0, 1500 * time.Millisecond, true},
		{"250us", 0, 250 * time.Microsecond, true},
		{"-5s", 0, 0, false},
		{"-5", time.Second, 0, false},
		{"5x", time.Second, 0, false},
		{"", time.Second, 0, false},
		{"99999999999999999", time.Second, 0, false},
	} {
		got, err := ParseDuration(tc.in, tc.bare)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDuration(%q, %v) = %v, %v", tc.in, tc.bare, got, err)
		}
		var bv *BadValueError
		if err != nil && !errors.As(err, &bv) {
			t.Errorf("ParseDuration(%q): %T is not a BadValueError", tc.in, err)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1024", 1024, true},
		{"32MiB", 32 << 20, true},
		{"32MB", 32 << 20, true},
		{"10GB", 10 << 30, true},
		{"1TiB", 1 << 40, true},
		{"512KiB", 512 << 10, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"32QB", 0, false},
		{"lots", 0, false},
	} {
		got, err := ParseBytes(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseBytes(%q) = %d, %v", tc.in, got, err)
		}
	}
}

func TestFlagValuesRoundTrip(t *testing.T) {
	for _, n := range []int64{0, 1, 1000, 32 << 20, 5 << 30, 3<<20 + 1} {
		v := &BytesValue{N: n}
		var back BytesValue
		if err := back.Set(v.String()); err != nil || back.N != n {
			t.Errorf("%d -> %q -> %d, %v", n, v.String(), back.N, err)
		}
	}
	for _, d := range []time.Duration{0, time.Second, 200 * time.Millisecond, 7 * 24 * time.Hour, 1500 * time.Millisecond, 3 * time.Microsecond} {
		v := &DurationValue{D: d}
		back := DurationValue{BareUnit: time.Second}
		if err := back.Set(v.String()); err != nil || back.D != d {
			t.Errorf("%v -> %q -> %v, %v", d, v.String(), back.D, err)
		}
	}
}

func TestPathWarning(t *testing.T) {
	for url, warn := range map[string]bool{
		"http://tsdb:9090":              true,
		"http://tsdb:9090/":             true,
		"http://tsdb:9090/api/v1/write": false,
		"https://u:p@mimir/api/v1/push": false,
	} {
		if got := (Backend{URL: url, Name: url}).PathWarning() != ""; got != warn {
			t.Errorf("%s: warning %v, want %v", url, got, warn)
		}
	}
}
