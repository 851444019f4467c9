package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prws/prws/router"
)

// ErrInvalid wraps every error Validate returns.
var ErrInvalid = errors.New("invalid configuration")

// Config is the daemon's configuration. Zero values are replaced by the
// defaults listed in Defaults when Validate runs on a copy.
type Config struct {
	Listen     string   // --listen, default 0.0.0.0:9999
	Backends   []string // --promes, remote-write URLs
	RemotePath string   // --remote_path, default /api/v1/receive
	DataDir    string   // --data-dir, default ./data

	Shards         int        // --shard, power of two, default 2
	ShardKey       router.Key // --shard_key
	ReplicaFactor  int        // --replica_factor, default 1
	Batch          int        // --batch samples per outgoing request, default 5000
	ExternalLabels []Label    // --external_labels, sorted by name
	ForceSelfTS    bool       // --force_use_self_ts

	RemoteTimeout time.Duration // --remote_write_timeout, default 5s
	MinWait       time.Duration // --remote_write_min_wait, default 200ms
	MaxWait       time.Duration // --remote_write_max_wait, default 30s
	RetryTimes    int           // --remote_write_retry_times, default 3

	MaxHourlySeries int // --max_hourly_series, 0 = no limit
	MaxDailySeries  int // --max_daily_series, 0 = no limit

	Watchdog         bool          // --watchdog
	WatchdogInterval time.Duration // --watchdog_interval, default 5s

	MaxBodyBytes     int64 // --max-body-bytes, default 32 MiB
	MaxDecodedBytes  int64 // --max-decoded-bytes, default 256 MiB
	MaxInflightBytes int64 // --max-inflight-bytes, default 512 MiB
	MaxQueueBytes    int64 // --max-queue-bytes per backend, 0 = unlimited
	SegmentBytes     int   // --queue-segment-bytes, default 4 MiB
	TenantHeader     string
}

// Label is one external label.
type Label struct{ Name, Value string }

// Defaults returns the documented defaults.
func Defaults() Config {
	return Config{
		Listen:           "0.0.0.0:9999",
		RemotePath:       "/api/v1/receive",
		DataDir:          "./data",
		Shards:           2,
		ShardKey:         router.KeySeries,
		ReplicaFactor:    1,
		Batch:            5000,
		RemoteTimeout:    5 * time.Second,
		MinWait:          200 * time.Millisecond,
		MaxWait:          30 * time.Second,
		RetryTimes:       3,
		WatchdogInterval: 5 * time.Second,
		MaxBodyBytes:     32 << 20,
		MaxDecodedBytes:  256 << 20,
		MaxInflightBytes: 512 << 20,
		SegmentBytes:     4 << 20,
	}
}

// Backend is one configured backend as the daemon sees it.
type Backend struct {
	ID   string // router.BackendID of URL
	URL  string // as configured, credentials included: never log it
	Name string // redacted URL, for logs, metrics and the API
}

// Validate checks c and returns the backends it names, in the order given.
// Errors wrap ErrInvalid and say which flag is wrong and why.
func (c Config) Validate() ([]Backend, error) {
	if len(c.Backends) == 0 {
		return nil, invalid("--promes names no backend; give at least one remote-write URL")
	}
	if c.Shards < 1 || c.Shards&(c.Shards-1) != 0 {
		return nil, invalid("--shard must be a power of two, got %d", c.Shards)
	}
	if c.ReplicaFactor < 1 || c.ReplicaFactor > len(c.Backends) {
		return nil, invalid("--replica_factor %d must be between 1 and the %d backends of --promes",
			c.ReplicaFactor, len(c.Backends))
	}
	if c.Batch < 1 {
		return nil, invalid("--batch must be at least 1, got %d", c.Batch)
	}
	if !strings.HasPrefix(c.RemotePath, "/") {
		return nil, invalid("--remote_path must start with /, got %q", c.RemotePath)
	}
	if c.RemoteTimeout <= 0 || c.MinWait <= 0 || c.MaxWait < c.MinWait {
		return nil, invalid("--remote_write_timeout and --remote_write_min_wait must be positive and min_wait <= max_wait")
	}
	if c.MaxHourlySeries < 0 || c.MaxDailySeries < 0 || c.RetryTimes < 1 {
		return nil, invalid("--max_hourly_series and --max_daily_series must be >= 0, --remote_write_retry_times >= 1")
	}
	return backends(c.Backends)
}

func backends(urls []string) ([]Backend, error) {
	seen := make(map[string]string, len(urls))
	out := make([]Backend, 0, len(urls))
	for _, u := range urls {
		id, err := router.BackendID(u)
		if err != nil {
			return nil, invalid("--promes: backend %s: %v", router.Redact(u), err)
		}
		name := router.Redact(u)
		if prev, dup := seen[id]; dup {
			return nil, invalid("--promes: %s and %s are the same backend", prev, name)
		}
		seen[id] = name
		out = append(out, Backend{ID: id, URL: u, Name: name})
	}
	return out, nil
}

// SplitList splits a comma-separated flag value, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
