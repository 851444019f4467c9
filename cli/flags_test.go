package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/prws/prws/config"
	"github.com/prws/prws/router"
)

// parseRun parses args as `prws ARGS` and returns the daemon config they
// give, without starting anything.
func parseRun(t *testing.T, args ...string) (config.Config, string, error) {
	t.Helper()
	var got config.Config
	var out bytes.Buffer
	app := newApp(&out, &out)
	capture := func(c *cli.Context) error {
		if c.Bool("v") {
			out.WriteString("version\n")
			return nil
		}
		cfg, err := configFromFlags(c)
		got = cfg
		return err
	}
	app.Action = capture
	for _, c := range app.Commands {
		if c.Name == "run" {
			c.Action = capture
		}
	}
	err := app.Run(reorderArgs(app, append([]string{"prws"}, args...)))
	return got, out.String(), err
}

// originalFlags are every flag of the original prom-remote-write-shard
// with a value in its original form and what prws must make of it.
var originalFlags = []struct {
	name, value string // value "" for a boolean flag
	check       func(config.Config) bool
}{
	{"listen", "127.0.0.1:9998", func(c config.Config) bool { return c.Listen == "127.0.0.1:9998" }},
	{"promes", "http://localhost:9090/api/v1/write,http://localhost:9091/api/v1/write", func(c config.Config) bool { return len(c.Backends) == 2 }},
	{"remote_path", "/api/v1/push", func(c config.Config) bool { return c.RemotePath == "/api/v1/push" }},
	{"shard", "4", func(c config.Config) bool { return c.Shards == 4 }},
	{"shard_key", "metric", func(c config.Config) bool { return c.ShardKey == router.KeyMetric }},
	{"replica_factor", "2", func(c config.Config) bool { return c.ReplicaFactor == 2 }},
	{"batch", "100", func(c config.Config) bool { return c.Batch == 100 }},
	{"external_labels", "env=prod,app=prom-remote-write-shard", func(c config.Config) bool { return len(c.ExternalLabels) == 2 }},
	{"force_use_self_ts", "", func(c config.Config) bool { return c.ForceSelfTS }},
	{"max_hourly_series", "10", func(c config.Config) bool { return c.MaxHourlySeries == 10 }},
	{"max_daily_series", "20", func(c config.Config) bool { return c.MaxDailySeries == 20 }},
	{"remote_write_timeout", "7", func(c config.Config) bool { return c.RemoteTimeout == 7*time.Second }},
	{"remote_write_retry_times", "5", func(c config.Config) bool { return c.RetryTimes == 5 }},
	{"remote_write_max_in_flight", "8", func(c config.Config) bool { return c.MaxInFlight == 8 }},
	{"remote_write_min_wait", "300", func(c config.Config) bool { return c.MinWait == 300*time.Millisecond }},
	{"watchdog", "", func(c config.Config) bool { return c.Watchdog }},
	{"persistent_queue", "", func(c config.Config) bool { return true }},
	{"persistent_queue_path", "/var/lib/prws-queue", func(c config.Config) bool { return c.DataDir == "/var/lib/prws-queue" }},
	{"persistent_queue_max_size", "5368709120", func(c config.Config) bool { return c.MaxQueueBytes == 5368709120/2 }},
	{"hash_algorithm", "crc32", func(c config.Config) bool { return true }},
}

// TestOriginalFlagsInEveryForm: each flag of the original, in its
// original form (single dash as Go's flag package wrote it, double dash
// as pflag did), as "-f v" and "-f=v", with and without `run`.
func TestOriginalFlagsInEveryForm(t *testing.T) {
	for _, f := range originalFlags {
		for _, dash := range []string{"-", "--"} {
			forms := [][]string{{dash + f.name}}
			if f.value != "" {
				forms = [][]string{{dash + f.name, f.value}, {dash + f.name + "=" + f.value}}
			}
			for _, form := range forms {
				for _, prefix := range [][]string{nil, {"run"}} {
					args := append(append(append([]string{}, prefix...), form...), "-promes", "http://a:9090/api/v1/write,http://b:9090/api/v1/write")
					if f.name == "promes" {
						args = append(append([]string{}, prefix...), form...)
					}
					cfg, out, err := parseRun(t, args...)
					if err != nil {
						t.Errorf("prws %s: %v\n%s", strings.Join(args, " "), err, out)
						continue
					}
					if !f.check(cfg) {
						t.Errorf("prws %s: not applied: %+v", strings.Join(args, " "), cfg)
					}
				}
			}
		}
	}
}

func TestOriginalDefaults(t *testing.T) {
	cfg, _, err := parseRun(t, "-promes", "http://a:9090/api/v1/write")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "0.0.0.0:9999" || cfg.RemotePath != "/api/v1/receive" || cfg.Shards != 2 ||
		cfg.ShardKey != router.KeySeries || cfg.ReplicaFactor != 1 || cfg.Batch != 5000 ||
		cfg.RemoteTimeout != 5*time.Second || cfg.MinWait != 200*time.Millisecond || cfg.RetryTimes != 3 ||
		cfg.MaxHourlySeries != 0 || cfg.MaxDailySeries != 0 || cfg.Watchdog || cfg.ForceSelfTS {
		t.Errorf("defaults differ from the original's: %+v", cfg)
	}
	if cfg.AdminAPI || cfg.Lifecycle {
		t.Error("admin API or lifecycle enabled by default")
	}
}

func TestVersionFlagEverywhere(t *testing.T) {
	for _, args := range [][]string{{"-v"}, {"--v"}, {"run", "-v"}, {"run", "--v"}} {
		_, out, err := parseRun(t, args...)
		if err != nil || !strings.Contains(out, "version") {
			t.Errorf("prws %s: %v %q", strings.Join(args, " "), err, out)
		}
	}
}

func TestDurationAndByteForms(t *testing.T) {
	cfg, out, err := parseRun(t, "--promes", "http://a:9090/api/v1/write",
		"--remote_write_timeout", "1m", "--remote_write_min_wait", "250ms", "--remote_write_max_wait", "1m30s",
		"--max-body-bytes", "32MiB", "--max-queue-bytes", "10GB", "--max-decoded-bytes", "1048576",
		"--queue-segment-bytes", "8MiB", "--watchdog_interval", "1w", "--shutdown-delay", "1.5s")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if cfg.RemoteTimeout != time.Minute || cfg.MinWait != 250*time.Millisecond || cfg.MaxWait != 90*time.Second ||
		cfg.MaxBodyBytes != 32<<20 || cfg.MaxQueueBytes != 10<<30 || cfg.MaxDecodedBytes != 1<<20 ||
		cfg.SegmentBytes != 8<<20 || cfg.WatchdogInterval != 7*24*time.Hour || cfg.ShutdownDelay != 1500*time.Millisecond {
		t.Errorf("parsed %+v", cfg)
	}
}

// TestBadValueIsOneLine: a bad value names the flag and what it takes,
// in one line, without the help text.
func TestBadValueIsOneLine(t *testing.T) {
	for _, tc := range []struct{ args, want []string }{
		{[]string{"--remote_write_timeout", "5x"}, []string{"remote_write_timeout", "not a duration", "5s"}},
		{[]string{"-max-body-bytes", "32QB"}, []string{"max-body-bytes", "not a size", "32MiB"}},
		{[]string{"--watchdog_interval", "5"}, []string{"watchdog_interval", "needs a unit"}},
		{[]string{"--shard", "two"}, []string{"shard"}},
		{[]string{"run", "--nope"}, []string{"nope", "prws run --help"}},
	} {
		_, out, err := parseRun(t, tc.args...)
		if err == nil {
			t.Errorf("prws %s accepted", strings.Join(tc.args, " "))
			continue
		}
		msg := err.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("prws %s: %q lacks %q", strings.Join(tc.args, " "), msg, w)
			}
		}
		if strings.Contains(msg, "\n") || strings.Contains(out, "USAGE") || strings.Contains(out, "GLOBAL OPTIONS") {
			t.Errorf("prws %s: more than one line: %q / %q", strings.Join(tc.args, " "), msg, out)
		}
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	app := newApp(&bytes.Buffer{}, &bytes.Buffer{})
	for _, tc := range []struct{ in, want string }{
		{"deadletter show NAME --series 5", "deadletter show --series 5 NAME"},
		{"queues drop BACKEND --data-dir D --yes", "queues drop --data-dir D --yes BACKEND"},
		{"queues move BACKEND --to http://x/api/v1/write", "queues move --to http://x/api/v1/write BACKEND"},
		{"queues --data-dir D drop B --yes", "queues --data-dir D drop --yes B"},
		{"deadletter purge A B --older-than=7d --yes", "deadletter purge --older-than=7d --yes A B"},
		{"deadletter show -- --series", "deadletter show -- --series"},
		{"-listen :1 -promes http://a/w", "-listen :1 -promes http://a/w"},
		{"ring --promes http://a/w up{job=\"x\"} --shard 4", "ring --promes http://a/w --shard 4 up{job=\"x\"}"},
	} {
		got := strings.Join(reorderArgs(app, append([]string{"prws"}, strings.Fields(tc.in)...))[1:], " ")
		if got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}
