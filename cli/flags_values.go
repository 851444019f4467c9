package cli

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/prws/prws/config"
)

// dataDirEnv names the environment variable that sets --data-dir of every
// command (the container image sets it to /data).
const dataDirEnv = "PRWS_DATA_DIR"

// durationFlag is a duration flag read by config.ParseDuration: Go and
// Prometheus forms (200ms, 1m30s, 7d, 1w) and, when bare is not 0, a
// bare integer in that unit (the original prom-remote-write-shard's
// --remote_write_timeout 5 is seconds, --remote_write_min_wait 200 is
// milliseconds).
func durationFlag(name string, def, bare time.Duration, usage string) cli.Flag {
	if bare == time.Second {
		usage += " (a bare number is seconds)"
	} else if bare == time.Millisecond {
		usage += " (a bare number is milliseconds)"
	}
	return &cli.GenericFlag{Name: name, Value: &config.DurationValue{D: def, BareUnit: bare}, Usage: usage}
}

// bytesFlag is a size flag read by config.ParseBytes: bytes, or with a
// unit (32MiB, 10GB; powers of 1024 as in Prometheus).
func bytesFlag(name string, def int64, usage string) *cli.GenericFlag {
	return &cli.GenericFlag{Name: name, Value: &config.BytesValue{N: def}, Usage: usage + " (bytes, or 512KiB, 32MiB, 10GB ...)"}
}

// durationOf returns the value of a durationFlag.
func durationOf(c *cli.Context, name string) time.Duration {
	if v, ok := c.Generic(name).(*config.DurationValue); ok {
		return v.D
	}
	return 0
}

// bytesOf returns the value of a bytesFlag.
func bytesOf(c *cli.Context, name string) int64 {
	if v, ok := c.Generic(name).(*config.BytesValue); ok {
		return v.N
	}
	return 0
}

// compatFlags are flags of the original prom-remote-write-shard that
// prws has no use for but accepts, so its command lines run unchanged;
// applyCompat says what each becomes. They are hidden from --help and
// listed in the README.
func compatFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "persistent_queue", Hidden: true, Usage: "original: enable its persistent queue; prws always queues on disk"},
		&cli.StringFlag{Name: "persistent_queue_path", Hidden: true, Usage: "original: queue directory; prws uses it as --data-dir when --data-dir is not given"},
		hidden(bytesFlag("persistent_queue_max_size", 0, "original: budget of one backend's queue; prws splits it over the --shard queues as --max-queue-bytes when that is not given")),
		&cli.StringFlag{Name: "hash_algorithm", Hidden: true, Usage: "original (early versions): murmur3 or crc32; prws always uses its rendezvous ring"},
	}
}

// applyCompat maps the compatibility flags onto cfg. It fails only on a
// value the original would have refused too.
func applyCompat(c *cli.Context, cfg *config.Config) error {
	if p := c.String("persistent_queue_path"); p != "" && !c.IsSet("data-dir") {
		cfg.DataDir = p
	}
	if n := bytesOf(c, "persistent_queue_max_size"); n > 0 && !c.IsSet("max-queue-bytes") && cfg.Shards > 0 {
		cfg.MaxQueueBytes = n / int64(cfg.Shards)
	}
	switch h := c.String("hash_algorithm"); h {
	case "", "murmur3", "crc32":
	default:
		return fmt.Errorf("--hash_algorithm: %q is not murmur3 or crc32 (prws ignores it: it always uses its rendezvous ring)", h)
	}
	return nil
}

// compatNotes are log lines saying what the compatibility flags given on
// the command line became.
func compatNotes(c *cli.Context, cfg config.Config) []string {
	var out []string
	if c.IsSet("persistent_queue") {
		out = append(out, "--persistent_queue: prws always keeps its queues on disk; the flag changes nothing")
	}
	if c.IsSet("persistent_queue_path") {
		out = append(out, fmt.Sprintf("--persistent_queue_path: the data dir is %s (prws' own layout; the original's queue files are not read)", cfg.DataDir))
	}
	if c.IsSet("persistent_queue_max_size") {
		out = append(out, fmt.Sprintf("--persistent_queue_max_size: --max-queue-bytes is %s per (backend, shard) queue", config.FormatBytes(cfg.MaxQueueBytes)))
	}
	if c.IsSet("hash_algorithm") {
		out = append(out, "--hash_algorithm: ignored; prws routes with its rendezvous ring (see prws ring)")
	}
	return out
}

func hidden(f *cli.GenericFlag) *cli.GenericFlag {
	f.Hidden = true
	return f
}

// warnConfig logs what in cfg is valid but probably a mistake (see
// config.Settings.Warnings). An invalid cfg logs nothing here: the
// daemon refuses it with the reason.
func warnConfig(log *slog.Logger, cfg config.Config) {
	s, err := cfg.Load()
	if err != nil {
		return
	}
	for _, w := range s.Warnings() {
		log.Warn(w)
	}
}
