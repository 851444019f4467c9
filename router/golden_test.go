package router

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
)

var update = flag.Bool("update", false, "rewrite testdata/ring_golden.txt from the current code")

// goldenBackends are the backends of the golden file. Never change them:
// the point of the file is that a changed hash cannot slip in unnoticed.
var goldenBackends = []string{
	"http://tsdb-a.example:9090/api/v1/write",
	"https://tsdb-b.example/api/v1/push",
	"http://10.0.0.3:8428/api/v1/write",
}

const goldenShards = 8

// TestRingGolden pins the hashes, placements and shards of a fixed list of
// series. A difference means routing changed: every deployed prws would
// send existing series to other backends and shards. Update the file with
// go test ./router -update only when that is intended.
func TestRingGolden(t *testing.T) {
	got := renderGolden(t)
	path := filepath.Join("testdata", "ring_golden.txt")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./router -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("ring output differs from %s: routing changed\n%s", path, firstDiff(want, got))
	}
}

func renderGolden(t *testing.T) []byte {
	var out bytes.Buffer
	ids := make([]string, len(goldenBackends))
	for i, u := range goldenBackends {
		id, err := BackendID(u)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
		fmt.Fprintf(&out, "# backend %d %s %s\n", i, id, u)
	}
	fmt.Fprintf(&out, "# shards %d; columns: series-hash metric-hash R=1 R=2 R=2-with-backend-0-down shard labels\n", goldenShards)
	r1, r2 := mustRing(t, ids, 1, goldenShards), mustRing(t, ids, 2, goldenShards)
	for _, gs := range readGoldenSeries(t) {
		ls := gs.labels
		sh, mh := hashLabels(t, KeySeries, ls), hashLabels(t, KeyMetric, ls)
		fmt.Fprintf(&out, "%016x %016x %s %s %s %d %s\n", sh, mh,
			strings.Join(lookupIDs(r1, sh, nil), ","),
			strings.Join(lookupIDs(r2, sh, nil), ","),
			strings.Join(lookupIDs(r2, sh, downSet{0: true}), ","),
			r1.Shard(sh), gs.line)
	}
	return out.Bytes()
}

// goldenSeries is one label set of ring_series.txt and its source line.
type goldenSeries struct {
	line   string
	labels labels.Labels
}

func readGoldenSeries(t *testing.T) []goldenSeries {
	f, err := os.Open(filepath.Join("testdata", "ring_series.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all []goldenSeries
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("ring_series.txt: %q: %v", line, err)
		}
		all = append(all, goldenSeries{line, labels.FromMap(m)})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return all
}

func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant %s\ngot  %s", i+1, wl, gl)
		}
	}
	return "(no line differs)"
}
