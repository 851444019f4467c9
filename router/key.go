package router

import (
	"errors"
	"fmt"
)

// Key selects what identifies a series for routing.
type Key int

const (
	// KeySeries hashes the full sorted label set (--shard_key series).
	KeySeries Key = iota
	// KeyMetric hashes the metric name (__name__) only (--shard_key metric).
	KeyMetric
)

// ErrConfig is returned by New and ParseKey for an invalid ring setting.
// The wrapping error says which setting is wrong and why.
var ErrConfig = errors.New("invalid ring configuration")

// ParseKey parses "series" or "metric". Any other value, including the
// empty string, gives an error wrapping ErrConfig.
func ParseKey(s string) (Key, error) {
	switch s {
	case "series":
		return KeySeries, nil
	case "metric":
		return KeyMetric, nil
	}
	return 0, fmt.Errorf("%w: --shard_key must be \"series\" or \"metric\", got %q", ErrConfig, s)
}

// String returns the flag spelling of k ("series" or "metric").
func (k Key) String() string {
	switch k {
	case KeySeries:
		return "series"
	case KeyMetric:
		return "metric"
	}
	return fmt.Sprintf("Key(%d)", int(k))
}
