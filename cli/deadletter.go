package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/config"
	"github.com/prws/prws/dataops"
)

// deadletterCommand is `prws deadletter`: the batches backends refused
// for good. Every subcommand asks the running daemon's admin API when one
// holds the data dir, otherwise works on the stopped data dir under its
// LOCK.
func deadletterCommand() *cli.Command {
	return &cli.Command{
		Name:  "deadletter",
		Usage: "list, show, replay and purge the batches backends refused for good",
		Subcommands: []*cli.Command{
			{
				Name: "list", Usage: "list dead letters: backend, when, status, the backend's message, samples",
				Flags:  append(dataDirFlags(), backendFlag(), &cli.BoolFlag{Name: "json", Usage: "print JSON"}),
				Action: deadletterList,
			},
			{
				Name: "show", Usage: "show one dead letter and the first series of its batch", ArgsUsage: "NAME",
				Flags: append(dataDirFlags(), backendFlag(), &cli.BoolFlag{Name: "json", Usage: "print JSON"},
					&cli.IntFlag{Name: "series", Value: 20, Usage: "series to decode and show; 0 = all"}),
				Action: deadletterShow,
			},
			{
				Name: "replay", Usage: "re-queue dead letters (to their backend or --to another) and remove them", ArgsUsage: "NAME... | --all",
				Flags: append(dataDirFlags(), backendFlag(), &cli.BoolFlag{Name: "all", Usage: "every dead letter (of --backend)"},
					&cli.StringFlag{Name: "to", Usage: "backend id or URL to queue them for (default: the backend that refused them)"},
					&cli.BoolFlag{Name: "json", Usage: "print JSON"}),
				Action: deadletterReplay,
			},
			{
				Name: "purge", Usage: "delete dead letters for good", ArgsUsage: "NAME... | --all | --older-than D",
				Flags: append(dataDirFlags(), backendFlag(), &cli.BoolFlag{Name: "all", Usage: "every dead letter (of --backend)"},
					durationFlag("older-than", 0, 0, "dead letters refused longer ago than this (e.g. 36h, 7d, 2w)"),
					&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask before deleting"},
					&cli.BoolFlag{Name: "json", Usage: "print JSON"}),
				Action: deadletterPurge,
			},
		},
	}
}

func backendFlag() cli.Flag {
	return &cli.StringFlag{Name: "backend", Usage: "only this backend (id or URL)"}
}

// deadletterList prints every dead letter (of --backend).
func deadletterList(c *cli.Context) error {
	var list []adminapi.DeadLetter
	err := onDeadLetters(c, func(base string) error {
		return adminapi.Get(c.Context, base, adminapi.PathDeadLetter+"?backend="+url.QueryEscape(c.String("backend")), &list)
	}, func(o *offlineDL) error {
		var err error
		list, err = o.selectDL(adminapi.Selector{All: true})
		return err
	})
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return adminapi.WriteJSON(c.App.Writer, list)
	}
	return WriteDeadLetters(c.App.Writer, list, time.Now())
}

// deadletterShow prints one dead letter with its decoded series.
func deadletterShow(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("show takes one dead-letter NAME; see prws deadletter list")
	}
	var d adminapi.DeadLetterDetail
	err := onDeadLetters(c, func(base string) error {
		q := url.Values{"name": {c.Args().First()}, "backend": {c.String("backend")}, "series": {fmt.Sprint(c.Int("series"))}}
		return adminapi.Get(c.Context, base, adminapi.PathDeadLetter+"?"+q.Encode(), &d)
	}, func(o *offlineDL) error {
		chosen, err := o.selectDL(adminapi.Selector{Names: []string{c.Args().First()}})
		if err == nil {
			d, err = dataops.ShowDeadLetter(o.logs, chosen[0], c.Int("series"))
		}
		return err
	})
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return adminapi.WriteJSON(c.App.Writer, d)
	}
	return WriteDeadLetterDetail(c.App.Writer, d)
}

// selector builds the dead-letter selection of a replay or purge.
func selector(c *cli.Context) adminapi.Selector {
	return adminapi.Selector{Names: c.Args().Slice(), All: c.Bool("all"), OlderThan: durationOf(c, "older-than"), Backend: c.String("backend")}
}

// deadletterReplay re-queues dead letters and removes them.
func deadletterReplay(c *cli.Context) error {
	req := adminapi.ReplayRequest{Selector: selector(c), To: c.String("to")}
	var res adminapi.ReplayResult
	err := onDeadLetters(c, func(base string) error {
		return adminapi.Post(c.Context, base, adminapi.PathDeadLetterReplay, req, &res)
	}, func(o *offlineDL) error {
		var err error
		res, err = o.replay(c.Context, req)
		return err
	})
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return adminapi.WriteJSON(c.App.Writer, res)
	}
	return WriteReplayResult(c.App.Writer, res)
}

// deadletterPurge deletes dead letters.
func deadletterPurge(c *cli.Context) error {
	sel := selector(c)
	if err := confirmPurge(c, sel); err != nil {
		return err
	}
	var res adminapi.PurgeResult
	err := onDeadLetters(c, func(base string) error {
		return adminapi.Post(c.Context, base, adminapi.PathDeadLetterPurge, sel, &res)
	}, func(o *offlineDL) error {
		chosen, err := o.selectDL(sel)
		if err == nil {
			res = dataops.Purge(o.logs, chosen)
		}
		return err
	})
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return adminapi.WriteJSON(c.App.Writer, res)
	}
	return WritePurgeResult(c.App.Writer, res)
}

// confirmPurge asks before a purge that deletes by --all or
// --older-than, unless --yes. When stdin is not a terminal nobody can
// answer: it refuses and names --yes.
func confirmPurge(c *cli.Context, sel adminapi.Selector) error {
	if c.Bool("yes") || (!sel.All && sel.OlderThan <= 0) {
		return nil
	}
	what := "every dead letter"
	if !sel.All {
		what = "every dead letter older than " + c.Generic("older-than").(*config.DurationValue).String()
	}
	if sel.Backend != "" {
		what += " of backend " + sel.Backend
	}
	if !interactive(c.App.Reader) {
		return fmt.Errorf("purge would delete %s for good; stdin is not a terminal, so pass --yes to confirm", what)
	}
	if !confirm(c.App.Reader, c.App.Writer, "delete "+what+" for good?") {
		return fmt.Errorf("nothing purged")
	}
	return nil
}

// interactive reports whether r can answer a question: a terminal, or a
// reader that is not a file (a test's scripted answers).
func interactive(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return r != nil
	}
	return isTerminal(f)
}

// onDeadLetters runs online against the running daemon, or offline on
// the stopped data dir while holding its LOCK.
func onDeadLetters(c *cli.Context, online func(base string) error, offline func(*offlineDL) error) error {
	base, err := daemonURL(c)
	if err != nil {
		return err
	}
	if base != "" {
		return refusedHint(online(base))
	}
	data := c.String("data-dir")
	lock, err := lockStopped(data, "prws deadletter")
	if err != nil {
		return err
	}
	defer lock.Release()
	o, err := openOfflineDL(data, c.String("backend"))
	if err != nil {
		return err
	}
	return offline(o)
}

// offlineDL is the dead letters of a stopped, locked data dir.
type offlineDL struct {
	data    string
	backend string // resolved --backend id, "" for all
	refs    []adminapi.BackendRef
	logs    dataops.DeadLetterLogs
}

func openOfflineDL(data, backend string) (*offlineDL, error) {
	refs, err := dataops.DataDirBackends(data)
	if err != nil {
		return nil, err
	}
	o := &offlineDL{data: data, refs: refs}
	if backend != "" {
		ref, err := adminapi.ResolveBackend(backend, refs)
		if err != nil {
			return nil, err
		}
		o.backend = ref.ID
	}
	o.logs, err = dataops.OpenDeadLetterLogs(data)
	return o, err
}

// selectDL lists the dead letters and applies sel, narrowed to --backend.
func (o *offlineDL) selectDL(sel adminapi.Selector) ([]adminapi.DeadLetter, error) {
	all, err := dataops.ListDeadLetters(o.logs)
	if err != nil {
		return nil, err
	}
	sel.Backend = o.backend
	return sel.Select(all, time.Now())
}

// replay re-queues the chosen dead letters into the queues of their
// target backend, opened directly, with the replay the daemon runs
// (dataops.Replay: each series into the shard ingest routes it to).
func (o *offlineDL) replay(ctx context.Context, req adminapi.ReplayRequest) (adminapi.ReplayResult, error) {
	chosen, err := o.selectDL(req.Selector)
	if err != nil {
		return adminapi.ReplayResult{}, err
	}
	to := ""
	if req.To != "" {
		ref, err := adminapi.ResolveBackend(req.To, o.refs)
		if err != nil {
			return adminapi.ReplayResult{}, err
		}
		to = ref.ID
	}
	queues := dataops.NewOfflineQueues(o.data)
	res := dataops.Replay(ctx, o.logs, chosen, to, queues.Shards)
	if err := queues.Close(); err != nil {
		res.Errors = append(res.Errors, err.Error())
	}
	return res, nil
}

// refusedHint adds to an adminapi.ErrDisabled answer of the daemon (which
// names the flag that enables the endpoint) the other way out: a
// stopped data dir, which the CLI changes directly.
func refusedHint(err error) error {
	if errors.Is(err, adminapi.ErrDisabled) {
		return fmt.Errorf("%w\n(or stop prws and run this command again: on a stopped data dir it works without the daemon)", err)
	}
	return err
}
