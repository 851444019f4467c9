package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/dataops"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/internal/lockfile"
	"github.com/prws/prws/queue"
)

// queuesCommand is `prws queues`: the backlog of every queue, from the
// running daemon's admin API when one holds the data dir (or --url is
// given), otherwise read from the files of the stopped data dir.
func queuesCommand() *cli.Command {
	return &cli.Command{
		Name:  "queues",
		Usage: "show every queue's backlog, send rate, last error and dead letters",
		Flags: append(dataDirFlags(),
			&cli.BoolFlag{Name: "json", Usage: "print JSON for scripts: per backend its state, last error, rates and totals, with its shards under it"},
			&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Usage: "refresh every --interval with per-backend drain progress, rates and ETA until Ctrl-C"},
			durationFlag("interval", time.Second, 0, "refresh interval of --watch"),
		),
		Subcommands: []*cli.Command{queuesDropCommand(), queuesMoveCommand()},
		Action: func(c *cli.Context) error {
			if c.Bool("watch") {
				return watchQueues(c)
			}
			qs, err := loadQueues(c)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return adminapi.WriteJSON(c.App.Writer, adminapi.GroupQueues(qs))
			}
			if len(qs) == 0 {
				fmt.Fprintln(c.App.Writer, "no queues")
				return nil
			}
			return WriteQueuesTable(c.App.Writer, qs, time.Now())
		},
	}
}

func loadQueues(c *cli.Context) ([]adminapi.QueueStatus, error) {
	base, err := daemonURL(c)
	if err != nil {
		return nil, err
	}
	if base != "" {
		var qs []adminapi.QueueStatus
		if err := adminapi.Get(c.Context, base, adminapi.PathQueues, &qs); err != nil {
			return nil, fmt.Errorf("asking the running daemon: %w", err)
		}
		return qs, nil
	}
	if err := requireDataDir(c.String("data-dir")); err != nil {
		return nil, err
	}
	return dataops.QueuesFromDataDir(c.String("data-dir"), nil)
}

// requireDataDir fails when data is not an existing directory, saying
// how to point the command at the right one.
func requireDataDir(data string) error {
	fi, err := os.Stat(data)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("data dir %s does not exist: give the daemon's --data-dir (or $%s), or --url of a running daemon", data, dataDirEnv)
	case err != nil:
		return fmt.Errorf("data dir: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("data dir %s is not a directory", data)
	}
	return nil
}

// daemonURL returns the admin URL of the daemon to ask: --url, else the
// listen address recorded by the process holding the data dir's LOCK,
// else "" (no daemon runs: read or change the data dir directly). A
// holder that records no listen address is another prws command working
// on the data dir: an error.
func daemonURL(c *cli.Context) (string, error) {
	if base := c.String("url"); base != "" {
		return base, nil
	}
	info, held, err := lockfile.Read(c.String("data-dir"))
	switch {
	case !held:
		return "", nil
	case err != nil:
		return "", fmt.Errorf("data dir is held by a process that has not recorded its address yet: %w", err)
	case info.Listen == "":
		return "", fmt.Errorf("data dir is held by another prws command (pid %d); try again when it is done", info.PID)
	}
	return adminapi.BaseURL(info.Listen), nil
}

// dataDirFlags are the flags of every command that works on a daemon or
// its data dir.
func dataDirFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "data-dir", Value: "./data", EnvVars: []string{dataDirEnv}, Usage: "data dir of the daemon"},
		&cli.StringFlag{Name: "url", Usage: "admin URL of a running daemon (default: found through the data dir's LOCK)"},
	}
}

// lockStopped takes the data dir's LOCK for a command that changes a
// stopped data dir, so no daemon can start meanwhile. It refuses while a
// daemon (or another command) holds it. It then puts what the daemon's
// commit journal holds back into the queues and removes it
// (queue.RestoreJournal), as a daemon start would: a queue the command
// drops, moves or appends to then holds every record the daemon
// acknowledged. The caller releases the lock.
func lockStopped(data, what string) (*lockfile.Lock, error) {
	if err := requireDataDir(data); err != nil {
		return nil, err
	}
	l, err := lockfile.Acquire(data, lockfile.Info{PID: os.Getpid()})
	if errors.Is(err, lockfile.ErrHeld) {
		return nil, fmt.Errorf("%s needs a stopped data dir: %w", what, err)
	}
	if err != nil {
		return nil, err
	}
	if err := queue.RestoreJournal(datadir.JournalDir(data), data, queue.JournalOptions{}); err != nil {
		_ = l.Release()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return l, nil
}
