package adminapi

import (
	"strings"
	"testing"
	"time"

	"github.com/prws/prws/deadletter"
)

func TestSelect(t *testing.T) {
	now := time.Now()
	all := []DeadLetter{
		{BackendID: "a", Meta: metaAt("1.dl", now.Add(-3*time.Hour))},
		{BackendID: "b", Meta: metaAt("1.dl", now.Add(-2*time.Hour))},
		{BackendID: "a", Meta: metaAt("2.dl", now.Add(-time.Minute))},
	}
	cases := []struct {
		name  string
		sel   Selector
		want  int
		error string
	}{
		{"nothing", Selector{}, 0, "name dead letters"},
		{"two at once", Selector{All: true, OlderThan: time.Hour}, 0, "name dead letters"},
		{"all", Selector{All: true}, 3, ""},
		{"all of a", Selector{All: true, Backend: "a"}, 2, ""},
		{"older", Selector{OlderThan: time.Hour}, 2, ""},
		{"older of b", Selector{OlderThan: time.Hour, Backend: "b"}, 1, ""},
		{"name", Selector{Names: []string{"2.dl"}}, 1, ""},
		{"ambiguous", Selector{Names: []string{"1.dl"}}, 0, "several backends"},
		{"disambiguated", Selector{Names: []string{"1.dl"}, Backend: "b"}, 1, ""},
		{"missing", Selector{Names: []string{"9.dl"}}, 0, "does not exist"},
	}
	for _, tc := range cases {
		got, err := tc.sel.Select(all, now)
		if tc.error != "" {
			if err == nil || !strings.Contains(err.Error(), tc.error) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.error)
			}
			continue
		}
		if err != nil || len(got) != tc.want {
			t.Errorf("%s: %d chosen, err %v; want %d", tc.name, len(got), err, tc.want)
		}
	}
}

func metaAt(name string, when time.Time) deadletter.Meta {
	return deadletter.Meta{Name: name, Time: when, Status: 400, Samples: 1}
}
