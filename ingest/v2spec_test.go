package ingest

// One test per MUST of the receiver side of the remote-write 2.0
// specification (and the sender MUSTs a receiver enforces), each naming
// the sentence it checks.

import (
	"bytes"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"

	"github.com/prws/prws/queue"
)

// "Senders and Receivers MUST support the io.prometheus.write.v2.Request."
// Every series, sample, histogram (integer and float), exemplar and piece
// of metadata arrives in the queues as its remote-write 1.0 equivalent.
func TestV2SupportsRequest(t *testing.T) {
	b := newBed(t, Options{}, 3, 1, 2)
	w := b.postV2(compress(marshal(t, richV2())))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	got, want := queued(t, b), sortedCopy(richV2AsV1())
	expectSameRequest(t, &got, &want)
	expectWritten(t, w, 4, 2, 2)
}

// "Receivers MUST support snappy compression." An absent Content-Encoding
// is taken as snappy too, as for 1.0.
func TestV2SnappyRequired(t *testing.T) {
	body := compress(marshal(t, richV2()))
	for _, ce := range []string{"snappy", "Snappy", ""} {
		b := newBed(t, Options{}, 1, 1, 1)
		w := b.postV2(body, "Content-Encoding", ce)
		expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	}
}

// "Receivers MUST return 415 HTTP Unsupported Media Type status code if
// they don't support a given content type or encoding provided by Senders."
func TestV2UnsupportedContentIs415(t *testing.T) {
	body := compress(marshal(t, richV2()))
	for _, hdr := range [][]string{
		{"Content-Type", "application/x-protobuf;proto=io.prometheus.write.v3.Request"},
		{"Content-Type", "application/json;proto=io.prometheus.write.v2.Request"},
		{"Content-Type", ctV2, "Content-Encoding", "zstd"},
		{"Content-Type", ctV2, "Content-Encoding", "gzip"},
	} {
		b := newBed(t, Options{}, 1, 1, 1)
		w := b.post(body, hdr...)
		expectStatus(t, w.Code, w.Body.String(), http.StatusUnsupportedMediaType, "")
		expectUntouched(t, b)
	}
}

// "Receivers MUST use the content type header to identify the Protobuf
// Message schema to use." The same bytes are read by the schema the
// header names: a 2.0 body sent as 1.0 (and the reverse) is read as an
// empty message, which writes nothing.
func TestV2ContentTypeSelectsSchema(t *testing.T) {
	v2body := compress(marshal(t, richV2()))
	v1body := compress(marshal(t, richRequest()))
	b := newBed(t, Options{}, 1, 1, 1)
	expectStatus(t, b.post(v2body).Code, "", http.StatusNoContent, "")
	expectUntouched(t, b)
	w := b.postV2(v1body)
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	expectWritten(t, w, 0, 0, 0)
	expectUntouched(t, b)
	for _, ct := range []string{"application/x-protobuf;proto=prometheus.WriteRequest", "application/x-protobuf", ""} {
		w = b.post(v1body, "Content-Type", ct)
		expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	}
	if b.totalRecords() == 0 {
		t.Fatal("1.0 body under a 1.0 Content-Type wrote nothing")
	}
}

// "Receivers that written all data successfully MUST return a success 2xx
// HTTP status code. In such a successful case, the response body from the
// Receiver SHOULD be empty and the status code SHOULD be 204."
func TestV2SuccessIs204Empty(t *testing.T) {
	b := newBed(t, Options{}, 2, 1, 2)
	w := b.postV2(compress(marshal(t, v2NodeExporter(100))))
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Fatalf("status %d body %q", w.Code, w.Body.String())
	}
	expectWritten(t, w, 100, 0, 0)
}

// "Receivers MUST NOT return a 2xx HTTP status code if any of the pieces
// of sent data known to the Receiver (e.g. Samples, Histograms,
// Exemplars) were NOT written successfully ... the Receiver MUST provide a
// human-readable error message in the response body."
func TestV2NoSuccessUnlessWritten(t *testing.T) {
	t.Run("queue failure", func(t *testing.T) {
		b := newBed(t, Options{}, 2, 1, 1)
		b.targets[1][0].err = queue.ErrClosed
		w := b.postV2(compress(marshal(t, v2NodeExporter(50))))
		expectStatus(t, w.Code, w.Body.String(), http.StatusServiceUnavailable, "queue unavailable")
		expectWritten(t, w, 0, 0, 0)
	})
	t.Run("bad series after good ones", func(t *testing.T) {
		b := newBed(t, Options{}, 2, 1, 1)
		v := newV2()
		v.add(writev2.TimeSeries{Samples: []writev2.Sample{{Value: 1, Timestamp: 1}}}, "__name__", "ok")
		v.add(writev2.TimeSeries{Samples: []writev2.Sample{{Value: 1, Timestamp: 1}}}, "__name__", "bad", "a", "1", "a", "2")
		w := b.postV2(compress(marshal(t, v.build())))
		expectStatus(t, w.Code, w.Body.String(), http.StatusBadRequest, `series 1: label "a": invalid labels: duplicate label name`)
		expectWritten(t, w, 0, 0, 0)
		expectUntouched(t, b)
	})
}

// "for each important piece of data (currently Samples, Histograms and
// Exemplars) Receivers MUST send a dedicated HTTP
// X-Prometheus-Remote-Write-*-Written response header with the precise
// number of successfully written elements. Each header value MUST be a
// single 64-bit integer." Series the limiter drops are not written.
func TestV2WrittenHeadersCountAdmitted(t *testing.T) {
	lim := &countLimiter{even: true, hashes: make(chan uint64, 16)}
	b := newBed(t, Options{Limiter: lim}, 2, 1, 2)
	req := richV2()
	w := b.postV2(compress(marshal(t, req)))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	var want writtenCounts
	for i := range req.Timeseries {
		if h := <-lim.hashes; h%2 == 0 {
			ts := &req.Timeseries[i]
			want.add(writtenCounts{len(ts.Samples), len(ts.Histograms), len(ts.Exemplars)})
		}
	}
	if want == (writtenCounts{4, 2, 2}) || want == (writtenCounts{}) {
		t.Log("limiter admitted all or none; the test still checks the counts")
	}
	expectWritten(t, w, want.samples, want.histograms, want.exemplars)
	got := queued(t, b)
	var n writtenCounts
	for _, ts := range got.Timeseries {
		n.add(writtenCounts{len(ts.Samples), len(ts.Histograms), len(ts.Exemplars)})
	}
	if n != want {
		t.Fatalf("queued %+v, headers say %+v", n, want)
	}
}

// "Receivers MUST return a 400 HTTP Bad Request status code for write
// requests that contain any invalid samples", with the schema rules a
// receiver enforces: "The first element of the symbols table MUST be an
// empty string", "References MUST point to the existing index in the
// symbols string array", "labels_refs MUST be provided", "[labels] MUST
// NOT contain repeated label names", "MUST NOT contain any empty label
// names", "label names, and label values MUST be any sequence of UTF-8
// characters", and "[labels_refs] length is always a multiple of two".
// Nothing is written and the headers say so.
func TestV2InvalidIs400(t *testing.T) {
	ok := []writev2.Sample{{Value: 1, Timestamp: 1}}
	tests := []struct {
		name  string
		req   writev2.Request
		opts  Options
		want  string
		cause error
	}{
		{"symbols[0] not empty", writev2.Request{Symbols: []string{"x", "__name__", "up"},
			Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{1, 2}, Samples: ok}}}, Options{},
			"request: invalid symbol reference: symbols[0] must be the empty string", ErrSymbolRef},
		{"label ref out of range", writev2.Request{Symbols: []string{"", "__name__"},
			Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{1, 7}, Samples: ok}}}, Options{},
			"series 0: label \"__name__\": invalid symbol reference: label value 7 outside symbols table of 2", ErrSymbolRef},
		{"no symbols", writev2.Request{Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{0, 0}, Samples: ok}}}, Options{},
			"label name 0 outside symbols table of 0", ErrSymbolRef},
		{"odd labels_refs", writev2.Request{Symbols: []string{"", "__name__", "up"},
			Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{1, 2, 1}, Samples: ok}}}, Options{},
			"series 0: invalid labels: labels_refs has an odd length", ErrInvalidLabels},
		{"no labels", writev2.Request{Symbols: []string{""}, Timeseries: []writev2.TimeSeries{{Samples: ok}}}, Options{},
			"series 0: invalid labels: series has no labels", ErrInvalidLabels},
		{"empty name", writev2.Request{Symbols: []string{"", "v"},
			Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{0, 1}, Samples: ok}}}, Options{},
			"empty label name", ErrInvalidLabels},
		{"duplicate name", writev2.Request{Symbols: []string{"", "a", "1", "2"},
			Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{1, 2, 1, 3}, Samples: ok}}}, Options{},
			`label "a": invalid labels: duplicate label name`, ErrInvalidLabels},
		{"invalid UTF-8 name", writev2.Request{Symbols: []string{"", "a\xff", "1"},
			Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{1, 2}, Samples: ok}}}, Options{},
			"label name is not valid UTF-8", ErrInvalidLabels},
		{"invalid UTF-8 value", writev2.Request{Symbols: []string{"", "a", "\xc3("},
			Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{1, 2}, Samples: ok}}}, Options{},
			"label value is not valid UTF-8", ErrInvalidLabels},
		{"exemplar ref out of range", writev2.Request{Symbols: []string{"", "a", "1"},
			Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{1, 2}, Samples: ok,
				Exemplars: []writev2.Exemplar{{LabelsRefs: []uint32{1, 9}, Value: 1, Timestamp: 1}}}}}, Options{},
			"label value 9 outside symbols table of 3", ErrSymbolRef},
		{"help_ref out of range", writev2.Request{Symbols: []string{"", "a", "1"},
			Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{1, 2}, Samples: ok, Metadata: writev2.Metadata{HelpRef: 3}}}}, Options{},
			"metadata help_ref 3 outside symbols table of 3", ErrSymbolRef},
		{"unit_ref out of range", writev2.Request{Symbols: []string{"", "a", "1"},
			Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{1, 2}, Samples: ok, Metadata: writev2.Metadata{UnitRef: 1 << 31}}}}, Options{},
			"metadata unit_ref 2147483648 outside", ErrSymbolRef},
		{"label count cap", writev2.Request{Symbols: []string{"", "a", "b", "1"},
			Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{1, 3, 2, 3}, Samples: ok}}}, Options{MaxLabelsPerSeries: 1},
			"label count 2 exceeds limit 1", ErrLimit},
		{"value length cap", writev2.Request{Symbols: []string{"", "a", "long"},
			Timeseries: []writev2.TimeSeries{{LabelsRefs: []uint32{1, 2}, Samples: ok}}}, Options{MaxLabelValueLen: 3},
			"label value length 4 exceeds limit 3", ErrLimit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBed(t, tc.opts, 2, 1, 2)
			w := b.postV2(compress(marshal(t, &tc.req)))
			expectStatus(t, w.Code, w.Body.String(), http.StatusBadRequest, tc.want)
			expectWritten(t, w, 0, 0, 0)
			expectUntouched(t, b)
			s := &v2State{families: map[string]int32{}}
			s.req = tc.req
			if err := s.convert(&b.h.opts); !errors.Is(err, tc.cause) {
				t.Fatalf("cause %v, want %v", err, tc.cause)
			}
		})
	}
}

// "Receivers MUST return a 400" for a body that is not a valid
// io.prometheus.write.v2.Request at all.
func TestV2MalformedIs400(t *testing.T) {
	raw := marshal(t, richV2())
	for _, body := range [][]byte{raw[:len(raw)-1], {0x2a, 0x05, 0x0a}, {0xff, 0xff, 0xff}, append(bytes.Clone(raw), 0x2c)} {
		b := newBed(t, Options{}, 1, 1, 1)
		w := b.postV2(compress(body))
		expectStatus(t, w.Code, w.Body.String(), http.StatusBadRequest, "malformed protobuf")
		expectUntouched(t, b)
	}
}

// "Given optionality, the 0 value [of start_timestamp] MUST be treated by
// receivers as unset value." A set start timestamp is kept in the field
// 2.0 gives it (Sample 3, Histogram 17) and its records are KindSeriesST;
// an unset one leaves no field and KindSeries records; nothing else
// changes.
func TestV2StartTimestampUnset(t *testing.T) {
	with, without := richV2(), richV2()
	for i := range without.Timeseries {
		for j := range without.Timeseries[i].Samples {
			without.Timeseries[i].Samples[j].StartTimestamp = 0
		}
		for j := range without.Timeseries[i].Histograms {
			without.Timeseries[i].Histograms[j].StartTimestamp = 0
		}
	}
	a, b := newBed(t, Options{}, 2, 1, 2), newBed(t, Options{}, 2, 1, 2)
	expectStatus(t, a.postV2(compress(marshal(t, with))).Code, "", http.StatusNoContent, "")
	expectStatus(t, b.postV2(compress(marshal(t, without))).Code, "", http.StatusNoContent, "")
	ga, gb := queued(t, a), queued(t, b)
	expectSameRequest(t, &ga, &gb)
	expectKinds(t, a, queue.KindSeriesST)
	expectKinds(t, b, queue.KindSeries)
	want := map[string][]int64{"requests_total": {1}, "rpc_duration_seconds": {1699999999000, 0}, "up": {0, 0}, "exemplar_only": {0}}
	for _, ts := range queuedST(t, a).Timeseries {
		if got := stOf(t, &ts); !reflect.DeepEqual(got, want[metricName(ts.Labels)]) {
			t.Errorf("%s: start timestamps %v, want %v", metricName(ts.Labels), got, want[metricName(ts.Labels)])
		}
	}
}

// expectKinds: every series record of b has kind k.
func expectKinds(t *testing.T, b *testBed, k queue.Kind) {
	t.Helper()
	b.each(func(be, sh int, tg *recTarget) {
		for _, r := range tg.records() {
			if r.Kind != k && r.Kind != queue.KindMetadata {
				t.Fatalf("backend %d shard %d: record of kind %d, want %d", be, sh, r.Kind, k)
			}
		}
	})
}

// stOf decodes the start timestamp fields of ts' samples, then
// histograms (0 for none), as a 2.0 decoder would read them.
func stOf(t *testing.T, ts *prompb.TimeSeries) []int64 {
	t.Helper()
	var out []int64
	read := func(unknown []byte) int64 {
		var s writev2.Sample // field 3 of Sample is start_timestamp
		var h writev2.Histogram
		if err := s.Unmarshal(unknown); err == nil && s.StartTimestamp != 0 {
			return s.StartTimestamp
		}
		if err := h.Unmarshal(unknown); err != nil {
			t.Fatalf("unknown fields %x: %v", unknown, err)
		}
		return h.StartTimestamp
	}
	for _, s := range ts.Samples {
		out = append(out, read(s.XXX_unrecognized))
	}
	for _, h := range ts.Histograms {
		out = append(out, read(h.XXX_unrecognized))
	}
	return out
}

// "In that case [5xx on a partial write], the Receiver MUST support
// idempotency as Senders MAY retry with the same request." A retried
// request converts to byte-identical records, which TSDBs accept as
// duplicates of what they already hold.
func TestV2RetryIsByteIdentical(t *testing.T) {
	body := compress(marshal(t, richV2()))
	a, b := newBed(t, Options{}, 3, 2, 2), newBed(t, Options{}, 3, 2, 2)
	a.postV2(body)
	b.postV2(body)
	b.each(func(be, sh int, tg *recTarget) {
		if !reflect.DeepEqual(tg.records(), a.targets[be][sh].records()) {
			t.Fatalf("target %d/%d got different records on retry", be, sh)
		}
	})
}

// External labels and the self-timestamp option apply to 2.0 series as
// to 1.0 ones.
func TestV2RewriteOptions(t *testing.T) {
	b := newBed(t, Options{ExternalLabels: labels.FromStrings("replica", "r1"), ForceSelfTimestamp: true}, 1, 1, 1)
	v := newV2()
	v.add(writev2.TimeSeries{Samples: []writev2.Sample{{Value: 1, Timestamp: 1}}}, "__name__", "up")
	w := b.postV2(compress(marshal(t, v.build())))
	expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
	got := queued(t, b).Timeseries
	if len(got) != 1 || !reflect.DeepEqual(got[0].Labels, lbls("__name__", "up", "replica", "r1")) || got[0].Samples[0].Timestamp == 1 {
		t.Fatalf("got %v", got)
	}
}

// A small body that would decode into millions of structs is refused
// before it is decoded; nothing is written.
func TestV2ExpansionBounded(t *testing.T) {
	b := newBed(t, Options{MaxInflightBytes: 1 << 20}, 1, 1, 1)
	body := bytes.Repeat([]byte{0x2a, 0x00}, 1<<16) // 65536 empty TimeSeries
	w := b.postV2(compress(body))
	expectStatus(t, w.Code, w.Body.String(), http.StatusRequestEntityTooLarge, "needs about")
	expectUntouched(t, b)
	if b.h.inflight.Load() != 0 {
		t.Fatalf("in-flight bytes %d left held", b.h.inflight.Load())
	}
}

// Metadata: one entry per metric family and request, classic histogram
// and summary suffixes removed, nothing for series without metadata.
func TestV2MetadataFamilies(t *testing.T) {
	v := newV2()
	s := []writev2.Sample{{Value: 1, Timestamp: 1}}
	hist := v.meta(writev2.Metadata_METRIC_TYPE_HISTOGRAM, "Latency.", "seconds")
	for _, n := range []string{"lat_bucket", "lat_sum", "lat_count"} {
		v.add(writev2.TimeSeries{Samples: s, Metadata: hist}, "__name__", n)
	}
	v.add(writev2.TimeSeries{Samples: s, Metadata: v.meta(writev2.Metadata_METRIC_TYPE_SUMMARY, "Q.", "")}, "__name__", "q_sum")
	v.add(writev2.TimeSeries{Samples: s}, "__name__", "no_meta")
	v.add(writev2.TimeSeries{Samples: s, Metadata: v.meta(writev2.Metadata_MetricType(99), "Future.", "")}, "__name__", "future")
	b := newBed(t, Options{}, 1, 1, 1)
	expectStatus(t, b.postV2(compress(marshal(t, v.build()))).Code, "", http.StatusNoContent, "")
	got := queued(t, b).Metadata
	want := sortedCopy(&prompb.WriteRequest{Metadata: []prompb.MetricMetadata{
		{Type: prompb.MetricMetadata_HISTOGRAM, MetricFamilyName: "lat", Help: "Latency.", Unit: "seconds"},
		{Type: prompb.MetricMetadata_SUMMARY, MetricFamilyName: "q", Help: "Q."},
		{Type: prompb.MetricMetadata_UNKNOWN, MetricFamilyName: "future", Help: "Future."},
	}}).Metadata
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("metadata\n got %v\nwant %v", got, want)
	}
}
