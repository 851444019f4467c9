package cli

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/prws/prws/config"
	"github.com/prws/prws/router"
)

// runFlags are the daemon's flags: the original prom-remote-write-shard
// names and defaults, then prws's own. They are built fresh for every
// command so no flag value is shared between commands.
func runFlags() []cli.Flag {
	d := config.Defaults()
	return append([]cli.Flag{
		&cli.StringFlag{Name: "listen", Value: d.Listen, Usage: "address to receive remote-write on; also serves /metrics, /-/healthy, /-/ready and the admin API"},
		&cli.StringFlag{Name: "promes", Usage: "comma-separated backend remote-write URLs (required unless --config.file names backends)"},
		&cli.StringFlag{Name: "remote_path", Value: d.RemotePath, Usage: "path to receive remote-write on (/api/v1/write is served too)"},
		&cli.IntFlag{Name: "shard", Value: d.Shards, Usage: "queues per backend; a power of two"},
		&cli.StringFlag{Name: "shard_key", Value: "series", Usage: "what a series is hashed by: series (full label set) or metric (__name__)"},
		&cli.IntFlag{Name: "replica_factor", Value: d.ReplicaFactor, Usage: "distinct backends each series is written to"},
		&cli.IntFlag{Name: "batch", Value: d.Batch, Usage: "samples per outgoing remote-write request at most"},
		&cli.StringFlag{Name: "external_labels", Usage: "labels added to every series, name=value,...; a label the series already has is kept"},
		&cli.BoolFlag{Name: "force_use_self_ts", Usage: "replace every sample's timestamp with the time prws received it"},
		&cli.IntFlag{Name: "max_hourly_series", Usage: "distinct series admitted per UTC hour; 0 = no limit"},
		&cli.IntFlag{Name: "max_daily_series", Usage: "distinct series admitted per UTC day; 0 = no limit"},
		durationFlag("remote_write_timeout", d.RemoteTimeout, time.Second, "timeout of one outgoing remote-write request"),
		durationFlag("remote_write_min_wait", d.MinWait, time.Millisecond, "first retry wait; doubles up to --remote_write_max_wait, with jitter"),
		durationFlag("remote_write_max_wait", d.MaxWait, time.Millisecond, "longest retry wait"),
		&cli.IntFlag{Name: "remote_write_retry_times", Value: d.RetryTimes, Usage: "consecutive failed sends after which a backend is reported unhealthy (retries go on for ever)"},
		&cli.IntFlag{Name: "remote_write_max_in_flight", Value: d.MaxInFlight, Usage: "requests one queue may have in flight at once (1 to 64): once a queue falls two batches per request in flight behind and the backend's answers take much longer than dividing them, it sends up to this many batches at once as requests of disjoint series, so each series stays in order (not to a backend on this host while the host has no idle CPU); 1 = one request at a time"},
		&cli.IntFlag{Name: "remote_write_max_lane_queues", Value: d.MaxLaneQueues, Usage: "queues, across all backends, that may send lanes (see --remote_write_max_in_flight) at once; each holds an uncompressed copy of what it read and a compressed block per request in flight while it does, and a queue finding none free sends one batch at a time; 0 = no limit"},
		&cli.BoolFlag{Name: "watchdog", Usage: "probe backends and route new data around unhealthy ones"},
		durationFlag("watchdog_interval", d.WatchdogInterval, 0, "time between watchdog probes"),
		&cli.StringFlag{Name: "data-dir", Value: d.DataDir, EnvVars: []string{dataDirEnv}, Usage: "directory of the queues, the state file and the dead letters"},
		bytesFlag("max-body-bytes", int64(d.MaxBodyBytes), "largest compressed request body accepted (413 above)"),
		bytesFlag("max-decoded-bytes", int64(d.MaxDecodedBytes), "largest decoded request body accepted (400 above)"),
		bytesFlag("max-inflight-bytes", int64(d.MaxInflightBytes), "decoded bytes being processed at once before answering 503"),
		&cli.IntFlag{Name: "max-label-name-length", Value: d.MaxLabelNameLen, Usage: "longest label name in bytes (400 above); 0 = unlimited"},
		&cli.IntFlag{Name: "max-label-value-length", Value: d.MaxLabelValueLen, Usage: "longest label value in bytes (400 above); 0 = unlimited"},
		&cli.IntFlag{Name: "max-labels-per-series", Usage: "most labels one series may carry (400 above); 0 = unlimited"},
		bytesFlag("max-queue-bytes", 0, "on-disk backlog per (backend, shard) queue (compressed bytes) at which --queue-full-policy applies; 0 = unlimited"),
		&cli.StringFlag{Name: "queue-full-policy", Value: d.QueueFullPolicy, Usage: "what a queue at --max-queue-bytes does: block (answer 503) or drop-oldest (accept; drop, count and log the oldest backlog)"},
		durationFlag("batch-linger", d.BatchLinger, 0, "how long a caught-up queue may hold back a batch short of --batch for more samples (fewer, fuller requests; a backlog is never held back); 0 = send what is there"),
		&cli.BoolFlag{Name: "queue-commit-journal", Value: d.CommitJournal, Usage: "make the records of every queue durable with one fsync of a shared journal (<data-dir>/journal) per group commit of three or more queues at once, instead of one fsync per queue: the queues' own files are fsynced once a second, and a start puts back into them what the journal holds; false = every queue fsyncs its own file (CPU grows with the number of queues)"},
		bytesFlag("queue-segment-bytes", int64(d.SegmentBytes), "queue segment file size (disk is freed a whole segment at a time); memory does not grow with it: a queue keeps no segment in memory, only buffers of up to a few MiB while busy, freed after 5s idle"),
		&cli.Float64Flag{Name: "max-send-samples-per-second", Usage: "cap on the samples per second sent to each backend (all its shards together), so a backlog drains no faster than the backend can take; 0 = unlimited; a backend of --config.file may override it"},
		&cli.Float64Flag{Name: "max-send-requests-per-second", Usage: "cap on the remote-write requests per second sent to each backend; 0 = unlimited; a backend of --config.file may override it"},
		&cli.StringFlag{Name: "tenant-header", Usage: "request header carrying the tenant (e.g. X-Scope-OrgID); passed through to backends"},
		&cli.StringFlag{Name: "config.file", Usage: "YAML file of per-backend settings (auth, TLS, headers, protocol, timeout, write_relabel_configs, send-rate caps), relabel_configs, tenant_header and tenant_limits; re-read on SIGHUP and POST /-/reload"},
		durationFlag("config.auto-reload-interval", 0, 0, "re-read --config.file when its content changed, checked this often (as Prometheus' option; for a Kubernetes ConfigMap); 0 = only on SIGHUP and POST /-/reload"),
		&cli.StringFlag{Name: "web.config.file", Usage: "exporter-toolkit web config: TLS and basic auth for every endpoint this daemon serves"},
		durationFlag("shutdown-delay", d.ShutdownDelay, 0, "on SIGTERM, how long to keep answering 503 (and /-/ready failing) before the listener closes"),
		durationFlag("http.read-timeout", d.HTTPReadTimeout, 0, "longest time to read a whole request, body included (cuts off slow bodies); 0 = none"),
		durationFlag("http.read-header-timeout", d.HTTPReadHeaderTimeout, 0, "longest time to read a request's headers; 0 = --http.read-timeout"),
		&cli.StringFlag{Name: "log.level", Value: "info", Usage: "debug, info, warn or error"},
		&cli.StringFlag{Name: "log.format", Value: "logfmt", Usage: "logfmt or json"},
		&cli.BoolFlag{Name: "web.enable-admin-api", Usage: "allow the admin endpoints that change state (dead-letter replay and purge); read-only ones are always open"},
		&cli.BoolFlag{Name: "web.enable-lifecycle", Usage: "allow reloading the configuration over HTTP (POST /-/reload); SIGHUP always works"},
		&cli.BoolFlag{Name: "v", Usage: "print the version and exit"},
	}, compatFlags()...)
}

// configFromFlags builds the Config from a parsed command line, the
// original's flags that prws only accepts for compatibility included
// (see applyCompat).
func configFromFlags(c *cli.Context) (config.Config, error) {
	key, err := router.ParseKey(c.String("shard_key"))
	if err != nil {
		return config.Config{}, fmt.Errorf("--shard_key: %w", err)
	}
	ext, err := config.ParseExternalLabels(c.String("external_labels"))
	if err != nil {
		return config.Config{}, err
	}
	cfg := config.Config{
		Listen: c.String("listen"), Backends: config.SplitList(c.String("promes")),
		RemotePath: c.String("remote_path"), DataDir: c.String("data-dir"),
		Shards: c.Int("shard"), ShardKey: key, ReplicaFactor: c.Int("replica_factor"),
		Batch: c.Int("batch"), ExternalLabels: ext, ForceSelfTS: c.Bool("force_use_self_ts"),
		RemoteTimeout: durationOf(c, "remote_write_timeout"), MinWait: durationOf(c, "remote_write_min_wait"),
		MaxWait: durationOf(c, "remote_write_max_wait"), RetryTimes: c.Int("remote_write_retry_times"),
		MaxInFlight: c.Int("remote_write_max_in_flight"), MaxLaneQueues: c.Int("remote_write_max_lane_queues"),
		MaxHourlySeries: c.Int("max_hourly_series"), MaxDailySeries: c.Int("max_daily_series"),
		Watchdog: c.Bool("watchdog"), WatchdogInterval: durationOf(c, "watchdog_interval"),
		MaxBodyBytes: bytesOf(c, "max-body-bytes"), MaxDecodedBytes: bytesOf(c, "max-decoded-bytes"),
		MaxInflightBytes: bytesOf(c, "max-inflight-bytes"), MaxQueueBytes: bytesOf(c, "max-queue-bytes"),
		MaxLabelNameLen: c.Int("max-label-name-length"), MaxLabelValueLen: c.Int("max-label-value-length"),
		MaxLabelsPerSeries: c.Int("max-labels-per-series"),
		SegmentBytes:       int(bytesOf(c, "queue-segment-bytes")), TenantHeader: c.String("tenant-header"),
		BatchLinger: durationOf(c, "batch-linger"), CommitJournal: c.Bool("queue-commit-journal"),
		MaxSendSamplesPerSecond: c.Float64("max-send-samples-per-second"), MaxSendRequestsPerSecond: c.Float64("max-send-requests-per-second"),
		ConfigFile: c.String("config.file"), WebConfigFile: c.String("web.config.file"),
		ShutdownDelay: durationOf(c, "shutdown-delay"), QueueFullPolicy: c.String("queue-full-policy"),
		HTTPReadTimeout: durationOf(c, "http.read-timeout"), HTTPReadHeaderTimeout: durationOf(c, "http.read-header-timeout"),
		AdminAPI: c.Bool("web.enable-admin-api"), Lifecycle: c.Bool("web.enable-lifecycle"),
	}
	return cfg, applyCompat(c, &cfg)
}

// shutdownGrace bounds how long SIGTERM waits for in-flight work.
const shutdownGrace = 30 * time.Second
