package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/prws/prws/daemon"
)

// Run runs the command line args (args[0] is the program name) of prws
// version, writing to stdout and stderr. It returns when the command is
// done: for the daemon, after SIGINT or SIGTERM and its shutdown.
func Run(version string, args []string, stdout, stderr io.Writer) error {
	app := NewApp(version, stdout, stderr)
	return app.Run(reorderArgs(app, args))
}

// NewApp builds the command line of prws version. Running with no
// command runs the daemon.
func NewApp(version string, stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:            "prws",
		Usage:           "durable consistent-hash sharding proxy for Prometheus remote write",
		Version:         version,
		HideVersion:     true,
		Writer:          stdout,
		ErrWriter:       stderr,
		Reader:          os.Stdin,
		Flags:           runFlags(),
		Action:          runAction(version),
		CommandNotFound: func(c *cli.Context, cmd string) { fmt.Fprintf(stderr, "prws: no command %q; see prws --help\n", cmd) },
		Commands: []*cli.Command{
			{Name: "run", Usage: "run the daemon (the default)", Flags: runFlags(), Action: runAction(version)},
			queuesCommand(),
			ringCommand(),
			deadletterCommand(),
			limiterCommand(),
			{Name: "version", Usage: "print the version", Action: func(c *cli.Context) error {
				fmt.Fprintln(c.App.Writer, "prws", version)
				return nil
			}},
		},
	}
	oneLineUsageErrors(app)
	return app
}

// runAction runs the daemon of prws version.
func runAction(version string) cli.ActionFunc {
	return func(c *cli.Context) error { return runDaemon(c, version) }
}

func runDaemon(c *cli.Context, version string) error {
	if c.Bool("v") {
		fmt.Fprintln(c.App.Writer, "prws", version)
		return nil
	}
	if c.Args().Present() {
		return fmt.Errorf("unexpected argument %q; see prws --help", c.Args().First())
	}
	log, err := newLogger(c.App.ErrWriter, c.String("log.level"), c.String("log.format"))
	if err != nil {
		return err
	}
	cfg, err := configFromFlags(c)
	if err != nil {
		return err
	}
	for _, note := range compatNotes(c, cfg) {
		log.Info("original prom-remote-write-shard flag", "note", note)
	}
	warnConfig(log, cfg)
	d, err := daemon.New(cfg, version, log)
	if err != nil {
		return err
	}
	if err := d.Start(nil); err != nil {
		_ = d.Shutdown(context.Background())
		return err
	}
	waitForTerm(d, cfg.ConfigFile, durationOf(c, "config.auto-reload-interval"))
	log.Info("shutting down: no longer accepting writes")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	return d.Shutdown(sctx)
}

// waitForTerm returns on SIGINT or SIGTERM, reloading the configuration
// on every SIGHUP meanwhile and, every autoReload (0: never), when the
// content of the config file changed (a failed reload is logged by the
// daemon and changes nothing).
func waitForTerm(d *daemon.Daemon, configFile string, autoReload time.Duration) {
	tick, stopTick := reloadTicker(configFile, autoReload)
	defer stopTick()
	watch := newConfigWatch(configFile)
	term := make(chan os.Signal, 1)
	hup := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGINT, syscall.SIGTERM)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(term)
	defer signal.Stop(hup)
	for {
		select {
		case <-term:
			return
		case <-hup:
			_ = d.Reload()
			watch.changed() // a SIGHUP read it: no second reload for the same content
		case <-tick:
			if watch.changed() {
				_ = d.Reload()
			}
		}
	}
}

// newLogger builds the process logger from --log.level and --log.format.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "logfmt":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log.format must be logfmt or json, got %q", format)
}
