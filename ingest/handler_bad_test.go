package ingest

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/prompb"
)

// raw builds protobuf bytes by hand.
type raw []byte

func (r raw) tag(num uint64, wt uint8) raw { return binary.AppendUvarint(r, num<<3|uint64(wt)) }
func (r raw) varint(v uint64) raw          { return binary.AppendUvarint(r, v) }
func (r raw) fixed64(v uint64) raw         { return binary.LittleEndian.AppendUint64(r, v) }
func (r raw) bytes(num uint64, p []byte) raw {
	return append(r.tag(num, wtBytes).varint(uint64(len(p))), p...)
}
func (r raw) str(num uint64, s string) raw { return r.bytes(num, []byte(s)) }

func label(name, value string) raw { return raw(nil).str(1, name).str(2, value) }

// series builds a WriteRequest field-1 entry from TimeSeries fields.
func series(fields ...raw) raw {
	var body raw
	for _, f := range fields {
		body = append(body, f...)
	}
	return raw(nil).bytes(1, body)
}

func lab(name, value string) raw { return raw(nil).bytes(1, label(name, value)) }

func sample() raw {
	return raw(nil).bytes(2, raw(nil).tag(1, wtFixed64).fixed64(0).tag(2, wtVarint).varint(1))
}

func TestBadInputs(t *testing.T) {
	caps := Options{MaxLabelNameLen: 8, MaxLabelValueLen: 10, MaxLabelsPerSeries: 3}
	tests := []struct {
		name string
		opts Options
		body []byte // decoded body
		want string
	}{
		{"series without labels", Options{}, series(sample()), "series 0 (offset 0): invalid labels: series has no labels"},
		{"second series without labels", Options{}, append(named(lab("a", "1")), series(sample())...), "series 1 "},
		{"empty label name", Options{}, series(lab("", "x")), "empty label name"},
		{"duplicate label sorted", Options{}, series(lab("a", "1"), lab("a", "2")), `label "a": invalid labels: duplicate label name`},
		{"duplicate label unsorted", Options{}, series(lab("b", "1"), lab("a", "1"), lab("b", "2")), `label "b": invalid labels: duplicate label name`},
		{"invalid utf8 name", Options{}, series(lab("a\xff", "1")), `label "a\xff": invalid labels: label name is not valid UTF-8`},
		{"invalid utf8 value", Options{}, series(lab("job", "\xc3\x28")), `label "job": invalid labels: label value is not valid UTF-8`},
		{"name too long", caps, series(lab("verylongname", "1")), `label "verylongname": limit exceeded: label name length 12 exceeds limit 8`},
		{"value too long", caps, series(lab("job", "abcdefghijk")), `label "job": limit exceeded: label value length 11 exceeds limit 10`},
		{"too many labels", caps, series(lab("a", "1"), lab("b", "1"), lab("c", "1"), lab("d", "1")), "label count 4 exceeds limit 3"},
		{"series as varint", Options{}, raw(nil).tag(1, wtVarint).varint(5), "WriteRequest field 1 has wire type 0"},
		{"metadata as fixed64", Options{}, raw(nil).tag(3, wtFixed64).fixed64(5), "WriteRequest field 3 has wire type 1"},
		{"label as varint", Options{}, series(raw(nil).tag(1, wtVarint).varint(1)), "TimeSeries field 1 has wire type 0"},
		{"label name as fixed64", Options{}, series(raw(nil).bytes(1, raw(nil).tag(1, wtFixed64).fixed64(1))), "Label field 1 has wire type 1"},
		{"sample value as varint", Options{}, series(lab("a", "1"), raw(nil).bytes(2, raw(nil).tag(1, wtVarint).varint(1))), "Sample field 1 has wire type 0"},
		{"sample timestamp as bytes", Options{}, series(lab("a", "1"), raw(nil).bytes(2, raw(nil).str(2, "x"))), "Sample field 2 has wire type 2"},
		{"histogram schema as fixed64", Options{}, series(lab("a", "1"), raw(nil).bytes(4, raw(nil).tag(4, wtFixed64).fixed64(1))), "Histogram field 4 has wire type 1"},
		{"histogram packed counts not multiple of 8", Options{}, series(lab("a", "1"), raw(nil).bytes(4, raw(nil).bytes(10, make([]byte, 7)))), "invalid packed field"},
		{"histogram packed deltas truncated", Options{}, series(lab("a", "1"), raw(nil).bytes(4, raw(nil).bytes(9, []byte{0x80}))), "invalid packed field"},
		{"bucket span as varint", Options{}, series(lab("a", "1"), raw(nil).bytes(4, raw(nil).tag(8, wtVarint).varint(1))), "Histogram field 8 has wire type 0"},
		{"exemplar label wrong type", Options{}, series(lab("a", "1"), raw(nil).bytes(3, raw(nil).tag(1, wtFixed64).fixed64(1))), "Exemplar field 1 has wire type 1"},
		{"metadata type as bytes", Options{}, raw(nil).bytes(3, raw(nil).str(1, "x")), "metadata 0 (offset 0): malformed protobuf: MetricMetadata field 1 has wire type 2"},
		{"field number zero", Options{}, raw{0x02, 0x00}, "invalid field number"},
		{"stray end group", Options{}, raw(nil).tag(5, wtEndGroup), "unexpected end-group"},
		{"wire type 7", Options{}, raw{0x0f}, "invalid wire type"},
		{"truncated varint", Options{}, raw{0x08, 0x80}, "unexpected end of data"},
		{"varint overflow", Options{}, raw{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, "varint overflows"},
		{"length past end", Options{}, raw{0x0a, 0x05, 0x01}, "unexpected end of data"},
		{"unterminated group", Options{}, raw(nil).tag(9, wtStartGroup).tag(1, wtVarint).varint(1), "unexpected end of data"},
		{"mismatched group", Options{}, raw(nil).tag(9, wtStartGroup).tag(8, wtEndGroup), "unexpected end-group"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBed(t, tc.opts, 2, 1, 2)
			w := b.post(compress(tc.body))
			expectStatus(t, w.Code, w.Body.String(), http.StatusBadRequest, tc.want)
			expectUntouched(t, b)
		})
	}
}

func TestHTTPRejections(t *testing.T) {
	valid := compress(marshal(t, nodeExporterRequest(3)))
	tests := []struct {
		name   string
		opts   Options
		method string
		body   []byte
		hdr    []string
		code   int
		want   string
	}{
		{"GET", Options{}, http.MethodGet, valid, nil, 405, "use POST"},
		{"PUT", Options{}, http.MethodPut, valid, nil, 405, "use POST"},
		{"json", Options{}, "", valid, []string{"Content-Type", "application/json"}, 415, "unsupported Content-Type"},
		{"v2 gzip", Options{}, "", valid, []string{"Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request", "Content-Encoding", "gzip"}, 415, "only snappy"},
		{"v2 bad snappy", Options{}, "", []byte("definitely not snappy"), []string{"Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request"}, 400, "invalid snappy block"},
		{"unknown proto", Options{}, "", valid, []string{"Content-Type", "application/x-protobuf;proto=foo.Bar"}, 415, "unsupported protobuf message"},
		{"gzip", Options{}, "", valid, []string{"Content-Encoding", "gzip"}, 415, "only snappy"},
		{"invalid snappy", Options{}, "", []byte("definitely not snappy"), nil, 400, "invalid snappy block"},
		{"empty body", Options{}, "", nil, nil, 400, "invalid snappy block"},
		{"snappy body corrupt", Options{}, "", append([]byte{0x20}, bytes.Repeat([]byte{0xff}, 10)...), nil, 400, "invalid snappy block"},
		{"decompression bomb", Options{}, "", []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 0x00}, nil, 400, "decoded length 4294967295 exceeds limit 268435456"},
		{"decoded over custom cap", Options{MaxDecodedBytes: 100}, "", valid, nil, 400, "exceeds limit 100"},
		{"body over cap", Options{MaxBodyBytes: 10}, "", valid, nil, 413, "exceeds limit 10"},
		{"tenant missing", Options{TenantHeader: "X-Scope-OrgID"}, "", valid, nil, 400, "X-Scope-OrgID: missing tenant id"},
		{"tenant bad char", Options{TenantHeader: "X-Scope-OrgID"}, "", valid, []string{"X-Scope-OrgID", "a/b"}, 400, "unsupported character '/'"},
		{"tenant too long", Options{TenantHeader: "X-Scope-OrgID"}, "", valid, []string{"X-Scope-OrgID", strings.Repeat("a", 151)}, 400, "longer than 150"},
		{"tenant dotdot", Options{TenantHeader: "X-Scope-OrgID"}, "", valid, []string{"X-Scope-OrgID", ".."}, 400, "must not be"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBed(t, tc.opts, 2, 1, 2)
			var w *httptest.ResponseRecorder
			if tc.method != "" {
				req := httptest.NewRequest(tc.method, "/api/v1/write", bytes.NewReader(tc.body))
				w = httptest.NewRecorder()
				b.h.ServeHTTP(w, req)
				if w.Header().Get("Allow") != http.MethodPost {
					t.Fatalf("Allow = %q", w.Header().Get("Allow"))
				}
			} else {
				w = b.post(tc.body, tc.hdr...)
			}
			expectStatus(t, w.Code, w.Body.String(), tc.code, tc.want)
			expectUntouched(t, b)
		})
	}
}

func TestBodyOverCapWithoutContentLength(t *testing.T) {
	b := newBed(t, Options{MaxBodyBytes: 64}, 1, 1, 1)
	body := compress(marshal(t, nodeExporterRequest(20)))
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.ContentLength = -1 // chunked: only the reader can tell
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, req)
	expectStatus(t, w.Code, w.Body.String(), http.StatusRequestEntityTooLarge, "exceeds limit 64")
	expectUntouched(t, b)
}

// TestTruncatedAtEveryByte cuts a valid body at every byte: a cut at an
// entry boundary is a shorter valid request, any other cut is a 400 that
// touches nothing.
func TestTruncatedAtEveryByte(t *testing.T) {
	body := marshal(t, richRequest())
	boundary := map[int]bool{0: true}
	for i := 0; i < len(body); {
		_, next, err := nextField(body, i)
		if err != nil {
			t.Fatal(err)
		}
		boundary[next] = true
		i = next
	}
	for cut := 1; cut < len(body); cut++ {
		b := newBed(t, Options{}, 2, 1, 2)
		w := b.post(compress(body[:cut]))
		if boundary[cut] {
			expectStatus(t, w.Code, w.Body.String(), http.StatusNoContent, "")
			continue
		}
		expectStatus(t, w.Code, w.Body.String(), http.StatusBadRequest, "malformed protobuf")
		expectUntouched(t, b)
	}
}

// TestBadSeriesAfterGoodOnesTouchesNothing: validation completes before
// anything is submitted or the limiter consulted.
func TestBadSeriesAfterGoodOnesTouchesNothing(t *testing.T) {
	lim := &countLimiter{}
	b := newBed(t, Options{Limiter: lim}, 3, 2, 4)
	wr := nodeExporterRequest(50)
	wr.Timeseries = append(wr.Timeseries, prompb.TimeSeries{Labels: lbls("a", "1", "a", "2")})
	w := b.post(compress(marshal(t, wr)))
	expectStatus(t, w.Code, w.Body.String(), http.StatusBadRequest, "series 50 ")
	expectUntouched(t, b)
	if lim.calls.Load() != 0 {
		t.Fatalf("limiter consulted %d times for a bad request", lim.calls.Load())
	}
}
