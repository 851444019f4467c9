package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/relabel"

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
	MaxInFlight   int           // --remote_write_max_in_flight requests per queue, default 4
	MaxLaneQueues int           // --remote_write_max_lane_queues sending lanes at once, default 4, 0 = no limit

	MaxHourlySeries int // --max_hourly_series, 0 = no limit
	MaxDailySeries  int // --max_daily_series, 0 = no limit

	Watchdog         bool          // --watchdog
	WatchdogInterval time.Duration // --watchdog_interval, default 5s

	MaxBodyBytes     int64 // --max-body-bytes, default 32 MiB
	MaxDecodedBytes  int64 // --max-decoded-bytes, default 256 MiB
	MaxInflightBytes int64 // --max-inflight-bytes, default 512 MiB
	// Label caps (--max-label-name-length, default 1 KiB;
	// --max-label-value-length, default 16 KiB; --max-labels-per-series,
	// default 0 = unlimited). A series over a cap fails its request with
	// 400 at the door, rather than poisoning a whole batch on a backend
	// that would refuse it later.
	MaxLabelNameLen, MaxLabelValueLen, MaxLabelsPerSeries int
	MaxQueueBytes                                         int64 // --max-queue-bytes per backend, 0 = unlimited
	// QueueFullPolicy (--queue-full-policy) is what a queue at
	// --max-queue-bytes does: "block" (default: 503, nothing dropped) or
	// "drop-oldest" (accept, drop the oldest backlog, count and log it).
	QueueFullPolicy string
	SegmentBytes    int // --queue-segment-bytes, default 4 MiB
	// BatchLinger (--batch-linger, default 50ms) is how long a caught-up
	// queue may hold back a batch short of Batch samples, waiting for
	// more: fewer, fuller outgoing requests (one cursor fsync and one
	// POST each) for at most this much delivery delay. 0 sends what is
	// durable at once.
	BatchLinger time.Duration
	// CommitJournal (--queue-commit-journal, default true) makes every
	// queue's group commits durable with one fsync of a shared journal
	// instead of one fsync per queue (queue.Journal).
	CommitJournal bool
	TenantHeader  string // --tenant-header; empty: tenant_header of the file, else no tenancy
	// MaxSendSamplesPerSecond and MaxSendRequestsPerSecond
	// (--max-send-samples-per-second, --max-send-requests-per-second)
	// cap what replay sends to each backend; 0 (default) = unlimited. A
	// backend of the file may override them.
	MaxSendSamplesPerSecond, MaxSendRequestsPerSecond float64

	ConfigFile    string // --config.file: per-backend settings, re-read on reload
	WebConfigFile string // --web.config.file: inbound TLS and basic auth (exporter-toolkit)
	// ShutdownDelay (--shutdown-delay, default 1s) is how long SIGTERM
	// keeps answering 503 before the listener closes.
	ShutdownDelay time.Duration
	// HTTPReadTimeout (--http.read-timeout, default 1m) bounds reading a
	// whole request, body included: a sender trickling its body is cut
	// off. HTTPReadHeaderTimeout (--http.read-header-timeout, default 10s)
	// bounds the headers.
	HTTPReadTimeout, HTTPReadHeaderTimeout time.Duration
	// AdminAPI (--web.enable-admin-api) allows the admin endpoints that
	// change state (dead-letter replay and purge). Lifecycle
	// (--web.enable-lifecycle) allows POST /-/reload. Both default to
	// off, as in Prometheus; read-only endpoints are always served.
	AdminAPI, Lifecycle bool
}

// Label is one external label.
type Label struct{ Name, Value string }

// Defaults returns the documented defaults.
func Defaults() Config {
	return Config{
		Listen:                "0.0.0.0:9999",
		RemotePath:            "/api/v1/receive",
		DataDir:               "./data",
		Shards:                2,
		ShardKey:              router.KeySeries,
		ReplicaFactor:         1,
		Batch:                 5000,
		RemoteTimeout:         5 * time.Second,
		MinWait:               200 * time.Millisecond,
		MaxWait:               30 * time.Second,
		RetryTimes:            3,
		MaxInFlight:           4,
		MaxLaneQueues:         4,
		WatchdogInterval:      5 * time.Second,
		ShutdownDelay:         time.Second,
		QueueFullPolicy:       "block",
		HTTPReadTimeout:       time.Minute,
		HTTPReadHeaderTimeout: 10 * time.Second,
		MaxBodyBytes:          32 << 20,
		MaxDecodedBytes:       256 << 20,
		MaxInflightBytes:      512 << 20,
		MaxLabelNameLen:       1 << 10,
		MaxLabelValueLen:      16 << 10,
		SegmentBytes:          4 << 20,
		BatchLinger:           50 * time.Millisecond,
		CommitJournal:         true,
	}
}

// Settings are what Load derives from a Config and its file: the part
// of the configuration a reload may change.
type Settings struct {
	// Backends in ring order: --promes order, then file-only backends.
	Backends []Backend
	// TenantHeader is --tenant-header, else the file's tenant_header.
	TenantHeader string
	// Relabel are the file's global relabel_configs; nil: none.
	Relabel []*relabel.Config
	// TenantLimits are the file's per-tenant ingest limits; nil: none.
	TenantLimits *TenantLimits
}

// Load checks every flag, reads and validates --config.file when set and
// merges the backends (see the package doc for the precedence). It may be
// called again to reload: flags are the same, the file may have changed.
// Errors wrap ErrInvalid, say which flag or backend (redacted) and field
// is wrong and why, and never contain a secret.
func (c Config) Load() (Settings, error) {
	if err := c.checkFlags(); err != nil {
		return Settings{}, err
	}
	var file *File
	if c.ConfigFile != "" {
		f, err := LoadFile(c.ConfigFile)
		if err != nil {
			return Settings{}, err
		}
		file = f
	}
	bs, err := merge(c.Backends, file)
	if err != nil {
		return Settings{}, err
	}
	if len(bs) == 0 {
		return Settings{}, invalid("no backend: give remote-write URLs with --promes or backends in --config.file")
	}
	if c.ReplicaFactor > len(bs) {
		return Settings{}, invalid("--replica_factor %d is more than the %d configured backends", c.ReplicaFactor, len(bs))
	}
	s := Settings{Backends: bs, TenantHeader: c.TenantHeader}
	if s.TenantHeader == "" && file != nil {
		s.TenantHeader = file.TenantHeader
	}
	if err := c.applyPolicy(&s, file); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// checkFlags validates the global settings, which only flags set.
func (c Config) checkFlags() error {
	if c.MaxLabelNameLen < 0 || c.MaxLabelValueLen < 0 || c.MaxLabelsPerSeries < 0 {
		return invalid("--max-label-name-length, --max-label-value-length and --max-labels-per-series must be >= 0")
	}
	if c.Shards < 1 || c.Shards&(c.Shards-1) != 0 {
		return invalid("--shard must be a power of two, got %d", c.Shards)
	}
	if c.ReplicaFactor < 1 {
		return invalid("--replica_factor must be at least 1, got %d", c.ReplicaFactor)
	}
	if c.Batch < 1 {
		return invalid("--batch must be at least 1, got %d", c.Batch)
	}
	if !strings.HasPrefix(c.RemotePath, "/") {
		return invalid("--remote_path must start with /, got %q", c.RemotePath)
	}
	if c.RemoteTimeout <= 0 || c.MinWait <= 0 || c.MaxWait < c.MinWait {
		return invalid("--remote_write_timeout and --remote_write_min_wait must be positive and min_wait <= max_wait")
	}
	if c.MaxInFlight < 1 || c.MaxInFlight > 64 {
		return invalid("--remote_write_max_in_flight must be 1 to 64, got %d", c.MaxInFlight)
	}
	if c.MaxLaneQueues < 0 {
		return invalid("--remote_write_max_lane_queues must be >= 0, got %d", c.MaxLaneQueues)
	}
	if c.MaxHourlySeries < 0 || c.MaxDailySeries < 0 || c.RetryTimes < 1 {
		return invalid("--max_hourly_series and --max_daily_series must be >= 0, --remote_write_retry_times >= 1")
	}
	if err := c.checkQueueAndHTTP(); err != nil {
		return err
	}
	if err := c.checkSendFlags(); err != nil {
		return err
	}
	if c.TenantHeader != "" && !validHeaderName(c.TenantHeader) {
		return invalid("--tenant-header: %q is not a valid header name", c.TenantHeader)
	}
	return nil
}

// checkQueueAndHTTP validates the budget policy and the HTTP timeouts.
func (c Config) checkQueueAndHTTP() error {
	switch c.QueueFullPolicy {
	case "", "block":
	case "drop-oldest":
		if c.MaxQueueBytes <= 0 {
			return invalid("--queue-full-policy drop-oldest needs --max-queue-bytes")
		}
		if seg := int64(max(c.SegmentBytes, 1)); c.MaxQueueBytes < 2*seg {
			return invalid("--queue-full-policy drop-oldest needs --max-queue-bytes of at least two segments (2 × --queue-segment-bytes = %d)", 2*seg)
		}
	default:
		return invalid("--queue-full-policy must be block or drop-oldest, got %q", c.QueueFullPolicy)
	}
	if c.HTTPReadTimeout < 0 || c.HTTPReadHeaderTimeout < 0 {
		return invalid("--http.read-timeout and --http.read-header-timeout must be >= 0")
	}
	if c.BatchLinger < 0 {
		return invalid("--batch-linger must be >= 0, got %s", c.BatchLinger)
	}
	return nil
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
