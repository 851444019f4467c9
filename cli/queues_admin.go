package cli

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/config"
	"github.com/prws/prws/dataops"
	"github.com/prws/prws/router"
)

// queuesDropCommand is `prws queues drop BACKEND`: delete a backend's
// queues and dead letters from a stopped data dir, after saying what is
// lost and asking.
func queuesDropCommand() *cli.Command {
	return &cli.Command{
		Name:      "drop",
		Usage:     "delete a backend's queues and dead letters (stopped data dir only; says what is lost and asks first)",
		ArgsUsage: "BACKEND (id or URL)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir", Value: "./data", EnvVars: []string{dataDirEnv}, Usage: "data dir of the stopped daemon"},
			&cli.BoolFlag{Name: "yes", Usage: "do not ask for confirmation"},
			&cli.BoolFlag{Name: "force", Usage: "drop even a backend that is still configured"},
			&cli.StringFlag{Name: "promes", Usage: "the daemon's --promes, to tell whether the backend is still configured (default: the backends its last run registered)"},
		},
		Action: queuesDrop,
	}
}

func queuesDrop(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("drop takes one BACKEND (id or URL); see prws queues")
	}
	data := c.String("data-dir")
	lock, err := lockStopped(data, "prws queues drop")
	if err != nil {
		return err
	}
	defer lock.Release()
	ref, err := resolveDataDirBackend(data, c.Args().First())
	if err != nil {
		return err
	}
	if err := refuseConfigured(c, data, ref); err != nil {
		return err
	}
	loss, err := dataops.BackendLoss(data, ref)
	if err != nil {
		return err
	}
	WriteLoss(c.App.Writer, loss)
	if !c.Bool("yes") && !confirm(c.App.Reader, c.App.Writer, "delete all of it for good?") {
		return fmt.Errorf("not dropped")
	}
	if err := dataops.DropBackend(data, ref.ID); err != nil {
		return fmt.Errorf("drop %s: %w", ref.ID, err)
	}
	fmt.Fprintf(c.App.Writer, "dropped backend %s (%s)\n", ref.ID, ref.URL)
	return nil
}

func resolveDataDirBackend(data, arg string) (adminapi.BackendRef, error) {
	refs, err := dataops.DataDirBackends(data)
	if err != nil {
		return adminapi.BackendRef{}, err
	}
	return adminapi.ResolveBackend(arg, refs)
}

// refuseConfigured fails unless --force when ref is still configured:
// in --promes when given, else in the daemon's last run.
func refuseConfigured(c *cli.Context, data string, ref adminapi.BackendRef) error {
	if c.Bool("force") {
		return nil
	}
	configured, where := map[string]bool{}, "the daemon's last run"
	if p := c.String("promes"); p != "" {
		where = "--promes"
		for _, u := range config.SplitList(p) {
			if id, err := router.BackendID(u); err == nil {
				configured[id] = true
			}
		}
	} else {
		var err error
		if configured, err = dataops.LastConfigured(data); err != nil {
			return fmt.Errorf("reading the backend registry: %w (pass --promes or --force)", err)
		}
	}
	if configured[ref.ID] {
		return fmt.Errorf("backend %s (%s) is configured in %s: remove it from --promes first, or pass --force", ref.ID, ref.URL, where)
	}
	return nil
}

// confirm asks question on w and reports whether the answer read from r
// is yes. No answer (end of input) is no.
func confirm(r io.Reader, w io.Writer, question string) bool {
	fmt.Fprintf(w, "%s [y/N] ", question)
	line, _ := bufio.NewReader(r).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

// queuesMoveCommand is `prws queues move BACKEND --to URL`: hand the
// queues of a backend that changed address to its new URL.
func queuesMoveCommand() *cli.Command {
	return &cli.Command{
		Name:      "move",
		Usage:     "give a backend's queues and dead letters to its new URL (stopped data dir only)",
		ArgsUsage: "BACKEND (id or URL) --to NEW-URL",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir", Value: "./data", EnvVars: []string{dataDirEnv}, Usage: "data dir of the stopped daemon"},
			&cli.StringFlag{Name: "to", Required: true, Usage: "the backend's new remote-write URL, as it will be in --promes"},
		},
		Action: queuesMove,
	}
}

func queuesMove(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("move takes one BACKEND (id or URL) and --to URL")
	}
	data := c.String("data-dir")
	lock, err := lockStopped(data, "prws queues move")
	if err != nil {
		return err
	}
	defer lock.Release()
	from, err := resolveDataDirBackend(data, c.Args().First())
	if err != nil {
		return err
	}
	to, err := dataops.MoveBackend(data, from, c.String("to"))
	if err != nil {
		return fmt.Errorf("move %s: %w", from.ID, err)
	}
	fmt.Fprintf(c.App.Writer, "moved queues of %s (%s) to %s (%s); start prws with %s in --promes to drain them\n",
		from.ID, from.URL, to.ID, to.URL, to.URL)
	return nil
}
