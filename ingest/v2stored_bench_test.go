package ingest

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"

	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

// sizeTarget adds up what a queue would store for the records it is
// given: envelope, tenant and the payload as stored (its block when
// compressed). Safe for concurrent use.
type sizeTarget struct{ bytes, samples *atomic.Int64 }

func (t sizeTarget) Submit(recs []queue.Record, done chan<- error) {
	for _, r := range recs {
		n := len(r.Payload)
		if r.Block != nil {
			n = len(r.Block)
		}
		t.bytes.Add(int64(queue.RecordOverhead + len(r.Tenant) + n))
		t.samples.Add(int64(r.Samples))
	}
	done <- nil
}

// familiesV2 is a 2000-series remote-write 2.0 request of 100 counter
// families with help and unit, each sample with a start timestamp when
// withST: what a Prometheus 3 sender with created timestamps sends.
func familiesV2(withST bool) *writev2.Request {
	b := newV2()
	for i := range benchSeries {
		f := strconv.Itoa(i % 100)
		st := int64(0)
		if withST {
			st = 1699990000000 + int64(i%100)
		}
		b.add(writev2.TimeSeries{
			Samples:  []writev2.Sample{{Value: float64(i) * 1.5, Timestamp: 1700000000000, StartTimestamp: st}},
			Metadata: b.meta(writev2.Metadata_METRIC_TYPE_COUNTER, "Total number of things of kind "+f+" seen by this exporter.", "bytes"),
		}, "__name__", "exporter_things_"+f+"_bytes_total", "instance", "10.0.0."+strconv.Itoa(i%250)+":9100",
			"job", "exporter", "cluster", "prod-eu-1", "series", strconv.Itoa(i/100))
	}
	return b.build()
}

// familiesV1 is familiesV2's series as remote-write 1.0, without
// metadata (a 1.0 sender sends it apart).
func familiesV1() *prompb.WriteRequest {
	wr := &prompb.WriteRequest{}
	for i := range benchSeries {
		f := strconv.Itoa(i % 100)
		wr.Timeseries = append(wr.Timeseries, prompb.TimeSeries{
			Labels: lbls("__name__", "exporter_things_"+f+"_bytes_total", "cluster", "prod-eu-1", "instance", "10.0.0."+strconv.Itoa(i%250)+":9100",
				"job", "exporter", "series", strconv.Itoa(i/100)),
			Samples: []prompb.Sample{{Value: float64(i) * 1.5, Timestamp: 1700000000000}},
		})
	}
	return wr
}

// BenchmarkStored: the whole handler for a 2000-series request of 100
// families, as 1.0 and as 2.0 with and without start timestamps, over 4
// backends, 2 replicas and 4 shards; reports what the queues would store
// per sample and replica (envelope included) and the time per sample.
//
//	go test -run '^$' -bench Stored -benchmem ./ingest
func BenchmarkStored(b *testing.B) {
	b.Run("v1", func(b *testing.B) { benchStored(b, compress(marshal(b, familiesV1())), "application/x-protobuf") })
	b.Run("v2", func(b *testing.B) { benchStored(b, compress(marshal(b, familiesV2(false))), ctV2) })
	b.Run("v2+st", func(b *testing.B) { benchStored(b, compress(marshal(b, familiesV2(true))), ctV2) })
}

func benchStored(b *testing.B, comp []byte, ct string) {
	var size, samples atomic.Int64
	ring, err := router.New([]string{"b0", "b1", "b2", "b3"}, 2, 4)
	if err != nil {
		b.Fatal(err)
	}
	rt := &Routing{Ring: ring, Key: router.KeySeries}
	for range 4 {
		rt.Targets = append(rt.Targets, slices.Repeat([]Target{sizeTarget{&size, &samples}}, 4))
	}
	h := NewHandler(Options{}, nil)
	h.SetRouting(rt)
	rd := bytes.NewReader(comp)
	req, _ := http.NewRequest(http.MethodPost, "/api/v1/write", io.NopCloser(rd))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Content-Encoding", "snappy")
	w := &discardWriter{h: http.Header{}}
	serve := func() {
		rd.Reset(comp)
		h.ServeHTTP(w, req)
		if w.code != http.StatusNoContent {
			b.Fatalf("status %d", w.code)
		}
	}
	serve()
	perSample := float64(size.Load()) / float64(samples.Load())
	b.ReportAllocs()
	cpu := cpuTime(b)
	for b.Loop() {
		serve()
	}
	b.ReportMetric(perSample, "disk-B/sample")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchSeries), "ns/sample")
	b.ReportMetric(float64((cpuTime(b)-cpu).Nanoseconds())/float64(b.N*benchSeries), "cpu-ns/sample")
}

// BenchmarkHotPathCPU is BenchmarkDecodeRoute/fast (decode and place a
// 2000-series 1.0 request) reporting the process CPU time per series,
// which other load on the machine disturbs less than the wall time.
//
//	go test -run '^$' -bench HotPathCPU ./ingest
func BenchmarkHotPathCPU(b *testing.B) {
	body, _ := nodeExporterRequest(benchSeries).Marshal()
	rt := benchRouting(b)
	o := Options{}.withDefaults()
	st := &reqState{}
	decodePlace(b, st, rt, &o, nil, body)
	cpu := cpuTime(b)
	for b.Loop() {
		decodePlace(b, st, rt, &o, nil, body)
	}
	b.ReportMetric(float64((cpuTime(b)-cpu).Nanoseconds())/float64(b.N*benchSeries), "cpu-ns/series")
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
