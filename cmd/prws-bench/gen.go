package main

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

// genOptions shapes the generated series and requests.
type genOptions struct {
	Series  int // distinct series (active series)
	Samples int // samples per series per request
	Batch   int // series per request (Prometheus' max_samples_per_send is 2000)
}

// body is one pre-encoded request: snappy-compressed WriteRequest.
type body struct {
	comp    []byte
	samples int
}

// family is one metric family of the generated mix: its name and the
// per-series labels it adds (value functions of the series number).
type family struct {
	name   string
	labels func(i int) []string // name, value, ...
}

// families mimic node_exporter and cadvisor output.
var families = []family{
	{"node_cpu_seconds_total", func(i int) []string {
		return []string{"cpu", strconv.Itoa(i % 64), "mode", modes[i/64%len(modes)]}
	}},
	{"node_filesystem_avail_bytes", func(i int) []string {
		return []string{"device", "/dev/nvme" + strconv.Itoa(i%4) + "n1p" + strconv.Itoa(i%3),
			"fstype", "ext4", "mountpoint", "/var/lib/data" + strconv.Itoa(i%16)}
	}},
	{"node_network_receive_bytes_total", func(i int) []string {
		return []string{"device", "eth" + strconv.Itoa(i%8)}
	}},
	{"container_cpu_usage_seconds_total", func(i int) []string {
		return []string{"container", "app-" + strconv.Itoa(i%40), "cpu", "total",
			"id", "/kubepods/burstable/pod" + strconv.FormatInt(int64(i)*2654435761%1e12, 16),
			"image", "registry.example.com/team/app-" + strconv.Itoa(i%40) + ":v1." + strconv.Itoa(i%9),
			"pod", "app-" + strconv.Itoa(i%40) + "-" + strconv.FormatInt(int64(i)*40503%1e7, 36)}
	}},
	{"container_memory_working_set_bytes", func(i int) []string {
		return []string{"container", "sidecar-" + strconv.Itoa(i%12),
			"id", "/kubepods/pod" + strconv.FormatInt(int64(i)*11400714819323%1e12, 16),
			"pod", "web-" + strconv.FormatInt(int64(i)*7919%1e7, 36)}
	}},
}

var modes = []string{"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"}

// seriesLabels returns the sorted labels of series i: target labels of its
// host plus its family's labels, 10 to 15 in all.
func seriesLabels(i int) []prompb.Label {
	f := families[i%len(families)]
	host := i / 512
	kv := []string{
		"__name__", f.name,
		"cluster", "prod-eu-" + strconv.Itoa(host%3),
		"env", "production",
		"instance", "10." + strconv.Itoa(host/65536%256) + "." + strconv.Itoa(host/256%256) + "." + strconv.Itoa(host%256) + ":9100",
		"job", "kubernetes-nodes",
		"namespace", "team-" + strconv.Itoa(host%17),
		"node", "ip-10-" + strconv.Itoa(host/256%256) + "-" + strconv.Itoa(host%256) + ".eu-west-1.compute.internal",
		"region", "eu-west-1",
	}
	kv = append(kv, f.labels(i/len(families))...)
	ls := make([]prompb.Label, 0, len(kv)/2)
	for j := 0; j < len(kv); j += 2 {
		ls = append(ls, prompb.Label{Name: kv[j], Value: kv[j+1]})
	}
	sort.Slice(ls, func(a, b int) bool { return ls[a].Name < ls[b].Name })
	return ls
}

// generate pre-encodes ceil(Series/Batch) request bodies, each a
// contiguous run of series, so sending costs the generator almost nothing.
func generate(o genOptions) ([]body, error) {
	if o.Series <= 0 || o.Batch <= 0 || o.Samples <= 0 {
		return nil, fmt.Errorf("series, batch and samples must be positive")
	}
	var out []body
	var raw []byte
	for start := 0; start < o.Series; start += o.Batch {
		end := min(start+o.Batch, o.Series)
		wr := prompb.WriteRequest{Timeseries: make([]prompb.TimeSeries, 0, end-start)}
		for i := start; i < end; i++ {
			ts := prompb.TimeSeries{Labels: seriesLabels(i)}
			for s := range o.Samples {
				ts.Samples = append(ts.Samples, prompb.Sample{
					Value:     float64(i%1000) * 1.25,
					Timestamp: 1_700_000_000_000 + int64(s)*15_000,
				})
			}
			wr.Timeseries = append(wr.Timeseries, ts)
		}
		n := wr.Size()
		if cap(raw) < n {
			raw = make([]byte, n)
		}
		m, err := wr.MarshalToSizedBuffer(raw[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, body{comp: snappy.Encode(nil, raw[n-m:n]), samples: (end - start) * o.Samples})
	}
	return out, nil
}
