package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
)

// BadValueError is the error of ParseDuration, ParseBytes and the flag
// values below; its message quotes the value and says what is accepted.
type BadValueError struct{ Value, Want string }

func (e *BadValueError) Error() string { return fmt.Sprintf("%q %s", e.Value, e.Want) }

func badValue(v, want string, args ...any) error {
	return &BadValueError{Value: v, Want: fmt.Sprintf(want, args...)}
}

// ParseDuration parses a duration the way Prometheus does (1w, 7d, 1h30m,
// 200ms; github.com/prometheus/common/model.ParseDuration), and also
// every Go duration (1.5s, 250us; time.ParseDuration). A bare integer is
// a number of bareUnit (the unit an original prom-remote-write-shard flag
// took: time.Second for --remote_write_timeout, time.Millisecond for
// --remote_write_min_wait); with bareUnit 0 only "0" may be bare.
// Negative durations are refused.
func ParseDuration(s string, bareUnit time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n < 0:
			return 0, badValue(s, "must not be negative")
		case n == 0:
			return 0, nil
		case bareUnit == 0:
			return 0, badValue(s, "needs a unit (e.g. %ss, %sms, 1m, 7d)", s, s)
		case n > int64(1<<63-1)/int64(bareUnit):
			return 0, badValue(s, "is too long")
		}
		return time.Duration(n) * bareUnit, nil
	}
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, badValue(s, "is not a duration (e.g. 500ms, 5s, 1m30s, 7d, 1w)")
	}
	return d, nil
}

// ParseBytes parses a size: a bare integer is bytes; a unit is a power of
// 1024 as in Prometheus' --storage.tsdb.retention.size (github.com/
// alecthomas/units.ParseBase2Bytes: 512KiB = 512KB = 512 × 1024, 32MiB,
// 10GB, 1TB). Negative sizes are refused.
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, badValue(s, "must not be negative")
		}
		return n, nil
	}
	b, err := units.ParseBase2Bytes(s)
	if err != nil || b < 0 {
		return 0, badValue(s, "is not a size (bytes, or with a unit: 512KiB, 32MiB, 10GB, 1TiB)")
	}
	return int64(b), nil
}

// FormatBytes prints n the way ParseBytes reads it back (32MiB), or as a
// bare number of bytes when it is not a whole number of KiB.
func FormatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// DurationValue is a flag.Value of a duration read by ParseDuration with
// its BareUnit. The zero value reads Prometheus/Go durations only.
type DurationValue struct {
	D        time.Duration
	BareUnit time.Duration // unit of a bare integer; 0: a unit is required
}

// Set implements flag.Value.
func (v *DurationValue) Set(s string) error {
	d, err := ParseDuration(s, v.BareUnit)
	if err != nil {
		return err
	}
	v.D = d
	return nil
}

// String implements flag.Value: the duration as Prometheus prints it
// (5s, 1m, 7d), or Go's form when Prometheus' cannot say it (1.5s).
func (v *DurationValue) String() string {
	if v == nil {
		return "0s"
	}
	if v.D%time.Millisecond == 0 {
		return model.Duration(v.D).String()
	}
	return v.D.String()
}

// BytesValue is a flag.Value of a size read by ParseBytes.
type BytesValue struct{ N int64 }

// Set implements flag.Value.
func (v *BytesValue) Set(s string) error {
	n, err := ParseBytes(s)
	if err != nil {
		return err
	}
	v.N = n
	return nil
}

// String implements flag.Value.
func (v *BytesValue) String() string {
	if v == nil {
		return "0"
	}
	return FormatBytes(v.N)
}
