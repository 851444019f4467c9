package cli

import (
	"fmt"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"

	"github.com/prws/prws/config"
	"github.com/prws/prws/router"
)

// ringRules apply a configuration's relabel rules for `prws ring`, as
// the daemon does at ingest: the global rules on the series as sent,
// then external labels and hashing, then each backend's write rules,
// which decide the backends the ring may place the series on.
type ringRules struct {
	global   []*relabel.Config
	backends []config.Backend
}

func newRingRules(s config.Settings) ringRules {
	return ringRules{global: s.Relabel, backends: s.Backends}
}

// any reports whether there is a rule at all; without, the RELABELING
// column is left out.
func (r ringRules) any() bool {
	n := len(r.global)
	for _, b := range r.backends {
		n += len(b.Relabel)
	}
	return n > 0
}

// eligible is a router.Health over the backends whose rules keep a series.
type eligible []bool

func (e eligible) Up(i int) bool { return e[i] }

// place returns the output row of series text (labels ls, sorted).
func (r ringRules) place(text string, ring *router.Ring, key router.Key, ext, ls []config.Label) string {
	lb := labels.NewBuilder(toLabels(ls))
	if !relabel.ProcessBuilder(lb, r.global...) || lb.Labels().IsEmpty() {
		return text + "\t-\t-\tdropped by relabel_configs"
	}
	stored := withExternal(fromLabels(lb.Labels()), ext)
	var notes []string
	if s := toLabels(stored); !labels.Equal(s, toLabels(withExternal(ls, ext))) {
		notes = append(notes, "stored as "+s.String())
	}
	ok := make(eligible, len(r.backends))
	for i, b := range r.backends {
		bl := labels.NewBuilder(toLabels(stored))
		ok[i] = relabel.ProcessBuilder(bl, b.Relabel...) && !bl.Labels().IsEmpty()
		switch {
		case !ok[i]:
			notes = append(notes, b.Name+": dropped by its write_relabel_configs")
		case len(b.Relabel) > 0 && !labels.Equal(bl.Labels(), toLabels(stored)):
			notes = append(notes, b.Name+" gets "+bl.Labels().String())
		}
	}
	h := hashLabels(router.NewHasher(key), stored)
	var names []string
	for _, i := range ring.LookupAmong(h, ok, nil, nil) {
		names = append(names, r.backends[i].Name)
	}
	if len(names) == 0 {
		return text + "\t-\t-\tdropped by every backend's write_relabel_configs"
	}
	row := fmt.Sprintf("%s\t%04d\t%s", text, ring.Shard(h), strings.Join(names, ","))
	if r.any() {
		row += "\t" + strings.Join(notes, "; ")
	}
	return row
}

func toLabels(ls []config.Label) labels.Labels {
	b := labels.NewScratchBuilder(len(ls))
	for _, l := range ls {
		b.Add(l.Name, l.Value)
	}
	b.Sort()
	return b.Labels()
}

func fromLabels(ls labels.Labels) []config.Label {
	out := make([]config.Label, 0, ls.Len())
	ls.Range(func(l labels.Label) { out = append(out, config.Label{Name: l.Name, Value: l.Value}) })
	return out
}
