package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// printTable writes the result table and the prws/vmagent ratios as
// Markdown.
func printTable(w io.Writer, res *results) {
	fmt.Fprintln(w, "| scenario | relay | backend | samples/s | CPU-s per M samples | peak RSS MB | p50 ack | p99 ack | notes |")
	fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|---:|---|")
	for _, r := range res.rows {
		cpu := "-"
		if r.cpuPerM > 0 {
			cpu = fmt.Sprintf("%.3f", r.cpuPerM)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %.0f | %s | %.0f | %s | %s | %s |\n",
			r.scenario, r.kind, r.backend, r.rate, cpu, r.rssMB, ms(r.p50), ms(r.p99), r.note)
	}
	fmt.Fprintln(w)
	for _, l := range res.legend {
		fmt.Fprintln(w, "- "+l)
	}
	if len(res.legend) > 0 {
		fmt.Fprintln(w)
	}
	printRatios(w, res)
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// find returns the row of scenario and kind.
func (r *results) find(scenario string, kind proxyKind) (row, bool) {
	for _, x := range r.rows {
		if x.scenario == scenario && x.kind == kind {
			return x, true
		}
	}
	return row{}, false
}

// printRatios checks each target.
func printRatios(w io.Writer, res *results) {
	fmt.Fprintln(w, "| target | measured | goal | met |")
	fmt.Fprintln(w, "|---|---:|---:|---|")
	ratio := func(name, scenario string, f func(row) float64, goal float64, le bool) {
		p, ok1 := res.find(scenario, kindPRWS)
		v, ok2 := res.find(scenario, kindVMAgent)
		if !ok1 || !ok2 || f(v) == 0 {
			fmt.Fprintf(w, "| %s | n/a (vmagent not measured) | %s %.2f | - |\n", name, cmp(le), goal)
			return
		}
		x := f(p) / f(v)
		fmt.Fprintf(w, "| %s | %.2f | %s %.2f | %s |\n", name, x, cmp(le), goal, met(x, goal, le))
	}
	cpu := func(r row) float64 { return r.cpuPerM }
	rate := func(r row) float64 { return r.rate }
	rss := func(r row) float64 { return r.rssMB }
	ratio("CPU/sample rf1, prws ÷ vmagent", "rf1 saturation", cpu, 0.5, true)
	ratio("CPU/sample rf2, prws ÷ vmagent (2 URLs)", "rf2 saturation", cpu, 0.7, true)
	ratio("saturation throughput rf1, prws ÷ vmagent", "rf1 saturation", rate, 1, false)
	for _, x := range res.rows {
		if strings.HasSuffix(x.scenario, "series") {
			ratio("peak RSS at "+x.scenario+", prws ÷ vmagent", x.scenario, rss, 1, true)
			break
		}
	}
	if r, ok := res.find("rf1 half-sat", kindPRWS); ok {
		v := float64(r.p99) / float64(time.Millisecond)
		fmt.Fprintf(w, "| p99 ack at half saturation (ms) | %.1f | ≤ 25 | %s |\n", v, met(v, 25, true))
	}
	b, ok1 := res.find("backlog build", kindPRWS)
	d, ok2 := res.find("backlog drain", kindPRWS)
	if ok1 && ok2 && b.rate > 0 {
		x := d.rate / b.rate
		fmt.Fprintf(w, "| drain rate ÷ ingest rate that built the backlog | %.1f | ≥ 3 | %s |\n", x, met(x, 3, false))
		x = res.rssDelta[kindPRWS]
		fmt.Fprintf(w, "| RSS with backlog − no-backlog RSS (MB) | %+.0f | ≤ 50 | %s |\n", x, met(x, 50, true))
	}
}

func cmp(le bool) string {
	if le {
		return "≤"
	}
	return "≥"
}

func met(x, goal float64, le bool) string {
	if le == (x <= goal) || x == goal {
		return "yes"
	}
	return "**no**"
}
