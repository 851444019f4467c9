package cli

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/dataops"
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
				return adminapi.WriteJSON(c.App.Writer, st)
			}
			return WriteLimiter(c.App.Writer, st, time.Now())
		},
	}
}

func loadLimiter(c *cli.Context) (adminapi.LimiterStatus, error) {
	base, err := daemonURL(c)
	if err != nil {
		return adminapi.LimiterStatus{}, err
	}
	if base == "" {
		if err := requireDataDir(c.String("data-dir")); err != nil {
			return adminapi.LimiterStatus{}, err
		}
		return dataops.LimiterFromDataDir(c.String("data-dir"), time.Now())
	}
	var st adminapi.LimiterStatus
	if err := adminapi.Get(c.Context, base, adminapi.PathLimiter, &st); err != nil {
		return st, fmt.Errorf("asking the running daemon: %w", err)
	}
	return st, nil
}
