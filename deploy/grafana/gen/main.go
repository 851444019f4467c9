// Command gen writes the prws Grafana dashboard (deploy/grafana/prws.json).
// Run it with `go generate ./deploy/`. The dashboard uses a ${datasource}
// variable and job, instance and backend variables, so it imports into any
// Grafana with a Prometheus data source scraping prws.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("o", "-", "output file; - for stdout")
	flag.Parse()
	b, err := json.MarshalIndent(dashboard(), "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	b = append(b, '\n')
	if *out == "-" {
		_, err = os.Stdout.Write(b)
	} else {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// obj is a JSON object.
type obj = map[string]any

// Selectors every expression filters by.
const (
	sel  = `job=~"$job", instance=~"$instance"`
	selB = sel + `, backend=~"$backend"`
	rate = "$__rate_interval"
)

func dashboard() obj {
	b := &builder{}
	b.row("Ingest")
	b.graph("Requests by status code", "reqps", 8, series(`sum by (code) (rate(prws_ingest_requests_total{`+sel+`}[`+rate+`]))`, "{{code}}"))
	b.graph("Samples acknowledged", "short", 8, series(`sum(rate(prws_ingest_samples_total{`+sel+`}[`+rate+`]))`, "samples/s"))
	b.graph("Ack latency (fsync wait included)", "s", 8,
		quantile(0.5, "prws_ingest_request_duration_seconds", sel, ""),
		quantile(0.9, "prws_ingest_request_duration_seconds", sel, ""),
		quantile(0.99, "prws_ingest_request_duration_seconds", sel, ""))
	b.graph("5xx ratio", "percentunit", 8, series(`sum(rate(prws_ingest_requests_total{`+sel+`, code=~"5.."}[`+rate+`])) / sum(rate(prws_ingest_requests_total{`+sel+`}[`+rate+`]))`, "5xx"))
	b.graph("Bytes received", "Bps", 8, series(`sum by (stage) (rate(prws_ingest_bytes_total{`+sel+`}[`+rate+`]))`, "{{stage}}"))
	b.graph("In-flight decoded bytes", "bytes", 8, series(`sum(prws_ingest_inflight_bytes{`+sel+`})`, "in flight"))

	b.row("Backlog per backend")
	b.graph("Pending samples", "short", 6, series(`sum by (backend) (prws_queue_pending_samples{`+selB+`})`, "{{backend}}"))
	b.graph("Pending bytes on disk", "bytes", 6,
		series(`sum by (backend) (prws_queue_pending_bytes{`+selB+`})`, "{{backend}}"),
		series(`max(prws_queue_max_bytes{`+sel+`}) > 0`, "budget per queue"))
	b.graph("Oldest pending sample age", "s", 6, series(`time() - min by (backend) (prws_queue_oldest_pending_timestamp_seconds{`+selB+`})`, "{{backend}}"))
	b.graph("Drain ETA (at the current send rate)", "s", 6, series(`sum by (backend) (prws_queue_pending_samples{`+selB+`}) / sum by (backend) (rate(prws_remote_samples_sent_total{`+selB+`}[5m]))`, "{{backend}}"))

	b.row("Sending")
	b.graph("Samples sent", "short", 8, series(`sum by (backend) (rate(prws_remote_samples_sent_total{`+selB+`}[`+rate+`]))`, "{{backend}}"))
	b.graph("Send answers by code", "reqps", 8, series(`sum by (backend, code) (rate(prws_remote_requests_total{`+selB+`}[`+rate+`]))`, "{{backend}} {{code}}"))
	b.graph("Send errors (non-2xx, network, timeout)", "reqps", 8, series(`sum by (backend, code) (rate(prws_remote_requests_total{`+selB+`, code!~"2.."}[`+rate+`]))`, "{{backend}} {{code}}"))
	b.graph("Retries", "short", 8, series(`sum by (backend) (rate(prws_remote_retries_total{`+selB+`}[`+rate+`]))`, "{{backend}}"))
	b.graph("Send latency p99", "s", 8, quantile(0.99, "prws_remote_request_duration_seconds", selB, "backend"))
	b.graph("Requests in flight", "short", 8, series(`sum by (backend) (prws_remote_requests_in_flight{`+selB+`})`, "{{backend}}"))
	b.graph("Backend up (send health)", "short", 8, series(`max by (backend) (prws_backend_up{`+selB+`})`, "{{backend}}"))
	b.graph("Batches sent as lanes", "short", 8,
		series(`sum by (backend) (rate(prws_remote_lane_batches_total{`+selB+`}[`+rate+`]))`, "{{backend}} lanes"),
		series(`sum by (backend) (rate(prws_remote_lane_reads_denied_total{`+selB+`}[`+rate+`]))`, "{{backend}} denied a lane share"),
		series(`sum by (backend) (rate(prws_remote_lane_reads_host_busy_total{`+selB+`}[`+rate+`]))`, "{{backend}} held back: host busy"))
	b.graph("Queues sending lanes (all backends)", "short", 8, series(`sum(prws_remote_lane_queues{`+sel+`})`, "queues"))

	b.row("Dead letters")
	b.graph("Dead-lettered samples", "short", 8, series(`sum by (backend) (rate(prws_remote_dead_letter_samples_total{`+selB+`}[`+rate+`]))`, "{{backend}}"))
	b.graph("Dead-lettered batches", "short", 8, series(`sum by (backend) (increase(prws_remote_dead_letter_batches_total{`+selB+`}[1h]))`, "{{backend}} /1h"))
	b.graph("Dead letters on disk", "short", 8, series(`max by (backend) (prws_deadletter_files{`+selB+`})`, "{{backend}}"))

	b.row("Series limiter")
	b.graph("Usage of the limit", "percentunit", 8, series(`max by (window) (prws_limiter_series{`+sel+`}) / max by (window) (prws_limiter_limit{`+sel+`} > 0)`, "{{window}}"))
	b.graph("Series admitted and dropped", "short", 8,
		series(`sum(rate(prws_series_keep_total{`+sel+`}[`+rate+`]))`, "kept series/s"),
		series(`sum(rate(prws_series_drop_total{`+sel+`}[`+rate+`]))`, "dropped series/s"))
	b.graph("Samples dropped by window", "short", 8,
		series(`sum(rate(prws_hourly_series_limit_rows_drop_total{`+sel+`}[`+rate+`]))`, "hour"),
		series(`sum(rate(prws_daily_series_limit_rows_drop_total{`+sel+`}[`+rate+`]))`, "day"))

	b.row("Ring membership")
	b.graph("Ring members", "short", 8,
		series(`max(prws_ring_members{`+sel+`})`, "members"),
		series(`max(prws_watchdog_all_down{`+sel+`})`, "all down"))
	b.graph("Watchdog view per backend", "short", 8, series(`max by (backend) (prws_watchdog_backend_up{`+selB+`})`, "{{backend}}"))
	b.graph("Health transitions", "short", 8, series(`sum by (backend, to) (increase(prws_watchdog_transitions_total{`+selB+`}[1h]))`, "{{backend}} → {{to}}"))

	b.row("Disk and process")
	b.graph("Group commit (write + fsync) latency", "s", 8,
		quantile(0.5, "prws_queue_commit_duration_seconds", sel, ""),
		quantile(0.99, "prws_queue_commit_duration_seconds", sel, ""))
	b.graph("Requests sharing one fsync (p50)", "short", 8, quantile(0.5, "prws_queue_commit_group_submits", sel, ""))
	b.graph("Queue faults", "short", 8,
		series(`sum(increase(prws_queue_corrupt_records_total{`+sel+`}[1h]))`, "corrupt records skipped /1h"),
		series(`sum(increase(prws_queue_retired_logs_total{`+sel+`}[1h]))`, "logs retired after an I/O error /1h"),
		series(`sum(increase(prws_queue_tail_repairs_total{`+sel+`}[1h]))`, "tail repairs /1h"))
	b.graph("CPU", "percentunit", 8, series(`rate(process_cpu_seconds_total{`+sel+`}[`+rate+`])`, "{{instance}}"))
	b.graph("Resident memory", "bytes", 8, series(`process_resident_memory_bytes{`+sel+`}`, "{{instance}}"))
	b.graph("Open file descriptors", "short", 8, series(`process_open_fds{`+sel+`}`, "{{instance}}"))

	return obj{
		"title": "prws", "uid": "prws-overview", "tags": []string{"prws", "remote-write"},
		"timezone": "browser", "schemaVersion": 39, "version": 1, "editable": true, "refresh": "30s",
		"time":        obj{"from": "now-6h", "to": "now"},
		"description": "prws (prom-remote-write-shard): ingest, per-backend backlog and sending, dead letters, series limiter, ring membership, disk and process.",
		"templating":  obj{"list": variables()},
		"annotations": obj{"list": []any{}},
		"panels":      b.panels,
	}
}

func variables() []obj {
	query := func(name, label, q string) obj {
		return obj{
			"name": name, "label": label, "type": "query", "datasource": ds(),
			"query": obj{"query": q, "refId": name}, "definition": q,
			"multi": true, "includeAll": true, "allValue": ".*", "refresh": 2, "sort": 1,
			"current": obj{"text": "All", "value": "$__all"},
		}
	}
	return []obj{
		{"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
			"current": obj{}, "hide": 0, "refresh": 1},
		query("job", "Job", `label_values(prws_ingest_requests_total, job)`),
		query("instance", "Instance", `label_values(prws_ingest_requests_total{job=~"$job"}, instance)`),
		query("backend", "Backend", `label_values(prws_backend_up{job=~"$job", instance=~"$instance"}, backend)`),
	}
}

func ds() obj { return obj{"type": "prometheus", "uid": "${datasource}"} }

// target is one query of a panel.
type target struct {
	expr, legend string
}

func series(expr, legend string) target { return target{expr, legend} }

// quantile is histogram_quantile(q) over metric's buckets, by the label by
// (none when empty).
func quantile(q float64, metric, selector, by string) target {
	group, legend := "le", fmt.Sprintf("p%g", q*100)
	if by != "" {
		group, legend = by+", le", fmt.Sprintf("{{%s}} p%g", by, q*100)
	}
	return target{fmt.Sprintf(`histogram_quantile(%g, sum by (%s) (rate(%s_bucket{%s}[%s])))`, q, group, metric, selector, rate), legend}
}

// builder lays panels out on Grafana's 24-column grid.
type builder struct {
	panels []obj
	x, y   int
	id     int
}

func (b *builder) nextID() int { b.id++; return b.id }

func (b *builder) row(title string) {
	if b.x > 0 {
		b.x, b.y = 0, b.y+8
	}
	b.panels = append(b.panels, obj{"type": "row", "title": title, "id": b.nextID(), "collapsed": false,
		"gridPos": obj{"h": 1, "w": 24, "x": 0, "y": b.y}, "panels": []any{}})
	b.y++
}

func (b *builder) graph(title, unit string, width int, ts ...target) {
	if b.x+width > 24 {
		b.x, b.y = 0, b.y+8
	}
	targets := make([]obj, len(ts))
	for i, t := range ts {
		targets[i] = obj{"datasource": ds(), "expr": t.expr, "legendFormat": t.legend, "refId": string(rune('A' + i))}
	}
	b.panels = append(b.panels, obj{
		"type": "timeseries", "title": title, "id": b.nextID(), "datasource": ds(),
		"gridPos":     obj{"h": 8, "w": width, "x": b.x, "y": b.y},
		"fieldConfig": obj{"defaults": obj{"unit": unit, "custom": obj{"fillOpacity": 10, "lineWidth": 1}}, "overrides": []any{}},
		"options":     obj{"legend": obj{"displayMode": "list", "placement": "bottom", "showLegend": true}, "tooltip": obj{"mode": "multi", "sort": "desc"}},
		"targets":     targets,
	})
	b.x += width
}
