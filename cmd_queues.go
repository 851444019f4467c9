package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/prws/prws/admin"
	"github.com/prws/prws/internal/lockfile"
)

// queuesCommand is `prws queues`: the backlog of every queue, from the
// running daemon's admin API when one holds the data dir (or --url is
// given), otherwise read from the files of the stopped data dir.
func queuesCommand() *cli.Command {
	return &cli.Command{
		Name:  "queues",
		Usage: "show every queue's backlog, send rate, last error and dead letters",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir", Value: "./data", Usage: "data dir of the daemon"},
			&cli.StringFlag{Name: "url", Usage: "admin URL of a running daemon (default: found through the data dir's LOCK)"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON for scripts"},
		},
		Action: func(c *cli.Context) error {
			qs, err := loadQueues(c)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return admin.WriteJSON(c.App.Writer, qs)
			}
			if len(qs) == 0 {
				fmt.Fprintln(c.App.Writer, "no queues")
				return nil
			}
			return admin.WriteQueuesTable(c.App.Writer, qs, time.Now())
		},
	}
}

func loadQueues(c *cli.Context) ([]admin.QueueStatus, error) {
	base := c.String("url")
	if base == "" {
		info, held, err := lockfile.Read(c.String("data-dir"))
		if err == nil && held {
			base = admin.BaseURL(info.Listen)
		}
	}
	if base != "" {
		var qs []admin.QueueStatus
		if err := admin.Get(c.Context, base, admin.PathQueues, &qs); err != nil {
			return nil, fmt.Errorf("asking the running daemon: %w", err)
		}
		return qs, nil
	}
	return admin.QueuesFromDataDir(c.String("data-dir"), nil)
}
