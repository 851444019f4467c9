package chaos

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/prws/prws/internal/testenv"
)

// full is set by PRWS_CHAOS=full: the long version of every scenario.
var full = os.Getenv("PRWS_CHAOS") == "full"

// pick returns short in the default run and long under PRWS_CHAOS=full.
func pick[T any](short, long T) T {
	if full {
		return long
	}
	return short
}

// binPath is the prws binary TestMain built.
var binPath string

func TestMain(m *testing.M) {
	var err error
	binPath, err = testenv.BuildPrws()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(filepath.Dir(binPath))
	writeTable()
	os.Exit(code)
}

// row is one line of the chaos table.
type row struct {
	Scenario  string
	Injected  string
	Acked     int64 // samples acknowledged to the load generator
	Delivered int64 // acknowledged samples found at every backend they route to
	Lost      int64
	Dup       int64 // deliveries beyond the first of one sample at one backend
	Result    string
	Note      string
}

var table struct {
	mu   sync.Mutex // guards rows
	rows []row
}

// report adds r to the table when the test ends, with PASS, FAIL or SKIP
// as its result.
func report(t *testing.T, r *row) {
	t.Cleanup(func() {
		switch {
		case t.Failed():
			r.Result = "FAIL"
		case t.Skipped():
			r.Result = "SKIP"
		default:
			r.Result = "PASS"
		}
		table.mu.Lock()
		table.rows = append(table.rows, *r)
		table.mu.Unlock()
	})
}

func writeTable() {
	table.mu.Lock()
	defer table.mu.Unlock()
	if len(table.rows) == 0 {
		return
	}
	var w io.Writer = os.Stdout
	if p := os.Getenv("PRWS_CHAOS_TABLE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return
		}
		defer f.Close()
		w = f
	}
	mode := "short"
	if full {
		mode = "full"
	}
	fmt.Fprintf(w, "prws chaos run (%s), %s\n\n", mode, time.Now().UTC().Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "scenario\tinjected\tacked\tdelivered\tlost\tdup\tresult\tnote")
	for _, r := range table.rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", r.Scenario, r.Injected,
			r.Acked, r.Delivered, r.Lost, r.Dup, r.Result, strings.ReplaceAll(r.Note, "\n", " "))
	}
	tw.Flush()
}
