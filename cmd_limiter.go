package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/prws/prws/admin"
)

// limiterCommand is `prws limiter`: the series limiter's current windows,
// usage against the limits and drops, from the running daemon or, read
// only, from a stopped data dir's state file.
func limiterCommand() *cli.Command {
	return &cli.Command{
		Name:  "limiter",
		Usage: "show the series limiter: current hour and day windows, usage against the limits, drops",
		Flags: append(dataDirFlags(), &cli.BoolFlag{Name: "json", Usage: "print JSON"}),
		Action: func(c *cli.Context) error {
			st, err := loadLimiter(c)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return admin.WriteJSON(c.App.Writer, st)
			}
			return admin.WriteLimiter(c.App.Writer, st, time.Now())
		},
	}
}

func loadLimiter(c *cli.Context) (admin.LimiterStatus, error) {
	base, err := daemonURL(c)
	if err != nil {
		return admin.LimiterStatus{}, err
	}
	if base == "" {
		if err := requireDataDir(c.String("data-dir")); err != nil {
			return admin.LimiterStatus{}, err
		}
		return admin.LimiterFromDataDir(c.String("data-dir"), time.Now())
	}
	var st admin.LimiterStatus
	if err := admin.Get(c.Context, base, admin.PathLimiter, &st); err != nil {
		return st, fmt.Errorf("asking the running daemon: %w", err)
	}
	return st, nil
}
