// Command prws-bench measures prws against vmagent on loopback.
//
//	prws-bench run   [flags]   start null backends, each relay in turn, load them, print one table
//	prws-bench load  [flags]   send pre-encoded remote-write 1.0 requests to -url and print the result
//	prws-bench sink  [flags]   serve a null remote-write backend (POST /down, /up toggle 503;
//	                           -decode unmarshals like a real backend, -delay answers late)
//
// The drain scenario also delivers into a VictoriaMetrics server it starts
// (-victoria-metrics) and into a decoding sink that answers late
// (-drain-sink-delay); the backend column of the table names the
// receiver of every row. Everything listens on 127.0.0.1 and every phase
// is bounded in time. The
// relays' CPU is utime+stime from /proc/PID/stat over the load and the
// delivery of what it acknowledged; peak RSS is VmHWM from
// /proc/PID/status. The load generator and the sinks run in this process,
// on the same cores as the relay under test.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	log.SetFlags(log.Ltime)
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: prws-bench run|load|sink [flags]; -h for the flags of each")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "run":
		err = cmdRun(ctx, os.Args[2:])
	case "load":
		err = cmdLoad(ctx, os.Args[2:])
	case "sink":
		err = cmdSink(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		log.Fatal(err)
	}
}

// genFlags registers the request-shape flags.
func genFlags(fs *flag.FlagSet, o *genOptions) {
	fs.IntVar(&o.Series, "series", 100_000, "distinct series cycled through")
	fs.IntVar(&o.Samples, "samples", 1, "samples per series per request")
	fs.IntVar(&o.Batch, "batch", 2000, "series per request")
}

func cmdRun(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	var g genOptions
	genFlags(fs, &g)
	c := benchConfig{}
	fs.StringVar(&c.PRWS, "prws", "bin/prws", "prws binary")
	fs.StringVar(&c.Baseline, "baseline", "", "another prws build to run side by side (rows \"prws-before\")")
	scen := fs.String("scenarios", "rf1,rf2,half,big,backlog,queues,drain,far", "scenarios to run (rf1 always runs: the others use its rates)")
	fs.StringVar(&c.VMAgent, "vmagent", "/usr/bin/vmagent", "vmagent binary; its rows are skipped when it is missing")
	fs.StringVar(&c.VMAgent2, "vmagent2", "", "a second vmagent build, rows \"vmagent2\" (e.g. a newer release); skipped when missing")
	fs.BoolVar(&c.Sink.Decode, "sink-decode", true, "the two sinks of the throughput scenarios unmarshal every request (false: wire scan only)")
	fs.StringVar(&c.Drain.VictoriaMetrics, "victoria-metrics", "/usr/bin/victoria-metrics", "VictoriaMetrics binary the drain scenario delivers into; skipped when missing")
	fs.DurationVar(&c.Drain.SinkDelay, "drain-sink-delay", 20*time.Millisecond, "answer delay of the drain scenario's decoding sink")
	fs.Float64Var(&c.Drain.BuildRate, "drain-build-rate", 0, "samples/s that build the drain backlog; 0 = half the slowest relay's rf1 saturation")
	fs.Float64Var(&c.Drain.LiveRate, "drain-live-rate", 100_000, "live samples/s during the second drain of each backend; 0 = none")
	fs.Float64Var(&c.FarRate, "far-rate", 1_000_000, "live samples/s of the far scenario, into a scanning sink answering after -drain-sink-delay")
	fs.DurationVar(&c.FarDuration, "far-duration", 30*time.Second, "length of each far load: its backlog is measured from a third in, past the start")
	fs.DurationVar(&c.Drain.Lag, "drain-lag", time.Second, "live traffic still in flight (this long at -drain-live-rate) that counts as caught up")
	fs.IntVar(&c.Shards, "shard", 2, "prws --shard")
	fs.IntVar(&c.proxyConfig.Batch, "prws-batch", 5000, "prws --batch (samples per outgoing request)")
	fs.IntVar(&c.proxyConfig.InFlight, "prws-max-in-flight", 0, "prws --remote_write_max_in_flight (1: no lanes); 0 = its default")
	fs.IntVar(&c.BigSeries, "big-series", 1_000_000, "active series of the RSS scenario")
	fs.IntVar(&c.Concurrency, "concurrency", 32, "senders at saturation (2× that when rate-limited)")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "length of each measured load")
	fs.IntVar(&c.Rounds, "rounds", 3, "runs of each saturation and half-saturation scenario per relay, relays taking turns; the table shows the medians")
	fs.Int64Var(&c.Backlog, "backlog", 20_000_000, "samples acknowledged while the backends are down")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", 120*time.Second, "longest wait for delivery")
	out := fs.String("out", "", "also write the table to this file")
	_ = fs.Parse(args)
	c.Series, c.Samples, c.Batch = g.Series, g.Samples, g.Batch
	c.Scenarios = map[string]bool{}
	for _, x := range strings.Split(*scen, ",") {
		c.Scenarios[strings.TrimSpace(x)] = true
	}
	c.Kinds = []proxyKind{kindPRWS}
	if c.Baseline != "" {
		c.Kinds = append(c.Kinds, kindBaseline)
	}
	var legend []string
	for _, v := range []struct {
		kind proxyKind
		bin  string
	}{{kindVMAgent, c.VMAgent}, {kindVMAgent2, c.VMAgent2}} {
		if v.bin == "" {
			continue
		}
		if _, err := exec.LookPath(v.bin); err != nil {
			log.Printf("%s not found at %s: its rows are skipped", v.kind, v.bin)
			continue
		}
		c.Kinds = append(c.Kinds, v.kind)
		legend = append(legend, fmt.Sprintf("%s: %s, %s", v.kind, v.bin, binVersion(v.bin)))
	}
	if _, err := exec.LookPath(c.Drain.VictoriaMetrics); err != nil {
		c.Drain.VictoriaMetrics = ""
	}
	tmp, err := os.MkdirTemp("", "prws-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	c.TmpDir, c.Log = tmp, tmp+"/relays.log"
	e := &env{cfg: c}
	for i := range e.sinks {
		if e.sinks[i], err = startSink("127.0.0.1:0", c.Sink); err != nil {
			return err
		}
		defer e.sinks[i].close()
	}
	load0 := loadAverage()
	res, err := runAll(ctx, e)
	if res != nil {
		res.legend = append(legend, fmt.Sprintf("machine load average (1, 5, 15 min): %s at the start, %s at the end", load0, loadAverage()))
	}
	if err != nil {
		log.Printf("stopped early: %v", err)
		if b, rerr := os.ReadFile(c.Log); rerr == nil {
			log.Printf("relay output:\n%s", tail(string(b), 4000))
		}
	}
	printTable(os.Stdout, res)
	if *out != "" {
		f, ferr := os.Create(*out)
		if ferr != nil {
			return ferr
		}
		defer f.Close()
		printTable(f, res)
	}
	return err
}

// loadAverage returns the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func cmdLoad(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	var g genOptions
	genFlags(fs, &g)
	var lo loadOptions
	fs.StringVar(&lo.URL, "url", "http://127.0.0.1:9999/api/v1/write", "remote-write URL")
	fs.IntVar(&lo.Concurrency, "concurrency", 8, "concurrent senders")
	fs.Float64Var(&lo.Rate, "rate", 0, "samples per second; 0 = unthrottled")
	fs.DurationVar(&lo.Duration, "duration", 10*time.Second, "how long to send")
	fs.Int64Var(&lo.MaxSamples, "max-samples", 0, "stop after this many acknowledged samples; 0 = no cap")
	_ = fs.Parse(args)
	bodies, err := generate(g)
	if err != nil {
		return err
	}
	r := runLoad(ctx, bodies, lo)
	fmt.Printf("samples %d in %s: %.0f samples/s; 2xx %d, non-2xx %d, errors %d; ack p50 %v p99 %v max %v\n",
		r.Samples, r.Elapsed.Round(time.Millisecond), r.rate(), r.OK, r.Non2xx, r.Errors,
		r.quantile(0.5), r.quantile(0.99), r.quantile(1))
	return nil
}

func cmdSink(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sink", flag.ExitOnError)
	addr := fs.String("listen", "127.0.0.1:19291", "listen address")
	down := fs.Bool("down", false, "start answering 503")
	var o sinkOptions
	fs.BoolVar(&o.Decode, "decode", false, "unmarshal every request like a real backend (default: wire scan)")
	fs.DurationVar(&o.Delay, "delay", 0, "hold each accepted request this long before answering")
	_ = fs.Parse(args)
	if !strings.HasPrefix(*addr, "127.0.0.1:") && !strings.HasPrefix(*addr, "localhost:") {
		return fmt.Errorf("-listen must be a loopback address")
	}
	s, err := startSink(*addr, o)
	if err != nil {
		return err
	}
	defer s.close()
	s.down.Store(*down)
	log.Printf("sink on %s", s.URL)
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			log.Printf("total: %d samples in %d requests", s.samples.Load(), s.requests.Load())
			return nil
		case <-t.C:
			log.Printf("%d samples in %d requests (down=%v)", s.samples.Load(), s.requests.Load(), s.down.Load())
		}
	}
}
