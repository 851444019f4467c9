package cli

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/prws/prws/config"
	"github.com/prws/prws/router"
)

// ringCommand is `prws ring`: where series go under a given configuration,
// computed by the same router the daemon uses.
func ringCommand() *cli.Command {
	return &cli.Command{
		Name:      "ring",
		Usage:     "print the backends and shard each series routes to",
		ArgsUsage: "[SERIES ...]  (e.g. 'up{job=\"node\"}'; read from stdin, one per line, when none is given)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "promes", Usage: "comma-separated backend remote-write URLs, as given to the daemon"},
			&cli.StringFlag{Name: "config.file", Usage: "the daemon's --config.file: its backends, relabel_configs and write_relabel_configs are applied"},
			&cli.IntFlag{Name: "shard", Value: 2},
			&cli.StringFlag{Name: "shard_key", Value: "series"},
			&cli.IntFlag{Name: "replica_factor", Value: 1},
			&cli.StringFlag{Name: "external_labels", Usage: "as given to the daemon: series are hashed as they will be stored"},
		},
		Action: ringAction,
	}
}

func ringAction(c *cli.Context) error {
	key, err := router.ParseKey(c.String("shard_key"))
	if err != nil {
		return err
	}
	ext, err := config.ParseExternalLabels(c.String("external_labels"))
	if err != nil {
		return err
	}
	cfg := config.Defaults()
	cfg.Backends, cfg.Shards, cfg.ReplicaFactor = config.SplitList(c.String("promes")), c.Int("shard"), c.Int("replica_factor")
	cfg.ConfigFile = c.String("config.file")
	settings, err := cfg.Load()
	if err != nil {
		return err
	}
	backends := settings.Backends
	ids := make([]string, len(backends))
	for i, b := range backends {
		ids[i] = b.ID
	}
	ring, err := router.New(ids, cfg.ReplicaFactor, cfg.Shards)
	if err != nil {
		return err
	}
	series := c.Args().Slice()
	if len(series) == 0 {
		if series, err = readLines(c.App.Reader); err != nil {
			return err
		}
	}
	rules := newRingRules(settings)
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	header := "SERIES\tSHARD\tBACKENDS"
	if rules.any() {
		header += "\tRELABELING"
	}
	fmt.Fprintln(tw, header)
	for _, s := range series {
		ls, err := parseSeries(s)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, rules.place(s, ring, key, ext, ls))
	}
	return tw.Flush()
}

func readLines(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

// parseSeries parses `name{a="b",c="d"}` (name optional) into labels.
func parseSeries(s string) ([]config.Label, error) {
	var ls []config.Label
	name, rest, _ := strings.Cut(strings.TrimSpace(s), "{")
	if name = strings.TrimSpace(name); name != "" {
		ls = append(ls, config.Label{Name: "__name__", Value: name})
	}
	rest = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "}"))
	for rest != "" {
		n, after, ok := strings.Cut(rest, "=")
		if !ok {
			return nil, fmt.Errorf("series %q: expected name=\"value\"", s)
		}
		prefix, err := strconv.QuotedPrefix(strings.TrimSpace(after))
		if err != nil {
			return nil, fmt.Errorf("series %q: label %s: value must be a quoted string", s, n)
		}
		v, _ := strconv.Unquote(prefix)
		ls = append(ls, config.Label{Name: strings.TrimSpace(n), Value: v})
		rest = strings.TrimPrefix(strings.TrimSpace(strings.TrimSpace(after)[len(prefix):]), ",")
		rest = strings.TrimSpace(rest)
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
	return ls, nil
}

// withExternal adds the external labels the series lacks, kept sorted.
func withExternal(ls, ext []config.Label) []config.Label {
	have := map[string]bool{}
	for _, l := range ls {
		have[l.Name] = true
	}
	for _, e := range ext {
		if !have[e.Name] {
			ls = append(ls, e)
		}
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
	return ls
}

func hashLabels(h *router.Hasher, ls []config.Label) uint64 {
	h.Reset()
	for _, l := range ls {
		h.Add([]byte(l.Name), []byte(l.Value))
	}
	return h.Sum64()
}
