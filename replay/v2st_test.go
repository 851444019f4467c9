package replay

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/prws/prws/internal/rw2"
	"github.com/prws/prws/queue"
)

// stField encodes start timestamp st as field num, as ingest stores it.
func stField(num protowire.Number, st int64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), uint64(st))
}

// stBatch is richBatch with start timestamps on its first sample and
// its integer histogram, as a queue.KindSeriesST record holds them, and
// the same request without them.
func stBatch(t *testing.T) (queue.Batch, []byte) {
	b, wr := richBatch(t)
	plain, err := wr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	wr.Timeseries[0].Samples[0].XXX_unrecognized = stField(rw2.SampleSTField, 1000)
	wr.Timeseries[2].Histograms[0].XXX_unrecognized = stField(rw2.HistogramSTField, -5)
	body, err := wr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b.Snappy, b.StartTimestamps = snappy.Encode(nil, body), true
	return b, plain
}

// A 1.0 backend gets a batch with start timestamps without them, every
// other byte as it was; the dropped ones are counted once.
func TestV1EndpointGetsBatchWithoutStartTimestamps(t *testing.T) {
	b, plain := stBatch(t)
	src := newFakeSource(b)
	be := newBackend(t, status(503, "busy"), status(204, ""))
	h := newHarness(t, be, src, nil)
	src.waitAcks(t, 1)
	reqs := be.requests()
	if len(reqs) != 2 || !bytes.Equal(reqs[0].body, reqs[1].body) {
		t.Fatalf("%d requests, or the retry differs", len(reqs))
	}
	if got := decode(t, reqs[0].body); !bytes.Equal(got, plain) {
		t.Fatalf("1.0 body is not the batch without its start timestamps")
	}
	if n := h.metric(t, "prws_remote_start_timestamps_dropped_total", nil); n != 2 {
		t.Fatalf("%v start timestamps counted as dropped, want 2", n)
	}
}

// A 2.0 backend gets the start timestamps in their 2.0 fields; and falls
// back to a 1.0 body without them.
func TestV2EndpointGetsStartTimestamps(t *testing.T) {
	b, plain := stBatch(t)
	src := newFakeSource(b, b)
	be := newBackend(t, v2ok, status(http.StatusUnsupportedMediaType, "no 2.0"))
	h := newHarness(t, be, src, useV2)
	src.waitAcks(t, 2)
	reqs := be.requests()
	req := decodeV2(t, reqs[0])
	if st := req.Timeseries[0].Samples[0].StartTimestamp; st != 1000 {
		t.Fatalf("sample start timestamp %d", st)
	}
	if st := req.Timeseries[0].Samples[1].StartTimestamp; st != 0 {
		t.Fatalf("sample without one got start timestamp %d", st)
	}
	if st := req.Timeseries[2].Histograms[0].StartTimestamp; st != -5 {
		t.Fatalf("histogram start timestamp %d", st)
	}
	if len(reqs) != 3 || !bytes.Equal(decode(t, reqs[2].body), plain) {
		t.Fatalf("%d requests; the fallback must be the 1.0 body without start timestamps", len(reqs))
	}
	if n := h.metric(t, "prws_remote_start_timestamps_dropped_total", nil); n != 2 {
		t.Fatalf("%v start timestamps counted as dropped, want 2 (the fallback)", n)
	}
}

// A batch not flagged for start timestamps is read without them, so the
// unknown fields of a 1.0 sender never become start timestamps.
func TestV2StartTimestampsOnlyFromFlaggedBatches(t *testing.T) {
	b, _ := stBatch(t)
	b.StartTimestamps = false
	src := newFakeSource(b)
	be := newBackend(t, v2ok)
	newHarness(t, be, src, useV2)
	src.waitAcks(t, 1)
	if st := decodeV2(t, be.requests()[0]).Timeseries[0].Samples[0].StartTimestamp; st != 0 {
		t.Fatalf("start timestamp %d from an unflagged batch", st)
	}
}

// Metadata a 1.0 sender sent apart (a batch of its own) is attached to the
// series of its family in later batches.
func TestV2MetadataRememberedAcrossBatches(t *testing.T) {
	wr := prompb.WriteRequest{Metadata: []prompb.MetricMetadata{{Type: prompb.MetricMetadata_GAUGE, MetricFamilyName: "up", Help: "Up."}}}
	meta, _ := wr.Marshal()
	one := prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{Labels: []prompb.Label{{Name: "__name__", Value: "up"}},
		Samples: []prompb.Sample{{Value: 1, Timestamp: 1}}}}}
	body, _ := one.Marshal()
	src := newFakeSource(queue.Batch{First: 1, Last: 1, Records: 1, Snappy: snappy.Encode(nil, meta)},
		queue.Batch{First: 2, Last: 2, Records: 1, Samples: 1, Snappy: snappy.Encode(nil, body)})
	be := newBackend(t, v2Steps(1)...)
	newHarness(t, be, src, useV2)
	src.waitAcks(t, 2)
	got := asV1(t, decodeV2(t, be.requests()[0]))
	if len(got) != 1 || !strings.HasPrefix(got[0], `{__name__="up"} gauge Up.`) {
		t.Fatalf("got %q", got)
	}
}

// The stripper keeps unknown fields other than the start timestamps and
// refuses what is not protobuf.
func TestStripKeepsOtherFields(t *testing.T) {
	ts := protowire.AppendTag(nil, 2, protowire.BytesType)
	sample := append(stField(rw2.SampleSTField, 7), stField(9, 1)...)
	ts = protowire.AppendBytes(ts, sample)
	body := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), ts)
	var s stStripper
	out, n, err := s.strip(nil, body)
	if err != nil || n != 1 {
		t.Fatalf("n %d err %v", n, err)
	}
	want := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType),
		protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), stField(9, 1)))
	if !bytes.Equal(out, want) {
		t.Fatalf("got %x want %x", out, want)
	}
	if _, _, err := s.strip(nil, []byte{0x0a, 0x05, 0x01}); err == nil {
		t.Fatal("truncated body stripped")
	}
}

// A split batch with start timestamps: every part reaches a 1.0 backend
// without them, and a 2.0 backend with them where the part holds them.
func TestSplitPartsKeepTheStartTimestampRule(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		b, _ := stBatch(t)
		src := newFakeSource(b)
		var opt func(*Endpoint, *Options)
		if v2 {
			opt = useV2
		}
		be := newBackend(t)
		be.setFallback(refuseWhole(t, 3)) // the batch has 3 series
		newHarness(t, be, src, opt)
		src.waitAcks(t, 1)
		reqs := be.requests()
		if len(reqs) < 4 {
			t.Fatalf("v2 %v: %d requests: the batch was not split", v2, len(reqs))
		}
		found := false
		for _, r := range reqs {
			if v2 {
				for _, ts := range decodeV2(t, r).Timeseries {
					for _, s := range ts.Samples {
						found = found || s.StartTimestamp == 1000
					}
				}
				continue
			}
			if hasUnknownFields(t, decode(t, r.body)) {
				t.Fatalf("a request reached a 1.0 backend with a start timestamp field")
			}
		}
		if v2 && !found {
			t.Fatal("no part reached the 2.0 backend with the start timestamp 1000")
		}
	}
}

// refuseWhole refuses with 400 every request of n series, in either
// protocol, and accepts the others (2.0 with its written headers).
func refuseWhole(t *testing.T, n int) step {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := request{header: r.Header, body: body}
		series := 0
		if r.Header.Get("Content-Type") == contentTypeV2 {
			series = len(decodeV2(t, req).Timeseries)
			w.Header().Set("X-Prometheus-Remote-Write-Samples-Written", "0")
		} else {
			var wr prompb.WriteRequest
			if err := wr.Unmarshal(decode(t, body)); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			series = len(wr.Timeseries)
		}
		if series == n {
			http.Error(w, "refused", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// hasUnknownFields reports whether a 1.0 body's samples or histograms
// carry fields 1.0 does not define.
func hasUnknownFields(t *testing.T, body []byte) bool {
	var wr prompb.WriteRequest
	if err := wr.Unmarshal(body); err != nil {
		t.Fatal(err)
	}
	for _, ts := range wr.Timeseries {
		for _, s := range ts.Samples {
			if len(s.XXX_unrecognized) > 0 {
				return true
			}
		}
		for _, h := range ts.Histograms {
			if len(h.XXX_unrecognized) > 0 {
				return true
			}
		}
	}
	return false
}
