package chaos

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/config"
)

func encodeWR(t testing.TB, ts []prompb.TimeSeries) []byte {
	raw, err := (&prompb.WriteRequest{Timeseries: ts}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// encodeSigned encodes a WriteRequest of s as encodeWR does, except that
// every sample value is written: proto3 encoders leave out a value equal
// to 0, which drops the sign of a negative zero before it reaches prws.
func encodeSigned(t testing.TB, s prompb.TimeSeries) []byte {
	var ts []byte
	for _, l := range s.Labels {
		b, err := l.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		ts = appendBytesField(ts, 1, b)
	}
	for _, smp := range s.Samples {
		b := binary.AppendUvarint(nil, 1<<3|1) // value, fixed64
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(smp.Value))
		b = binary.AppendUvarint(b, 2<<3) // timestamp, varint (wire type 0)
		b = binary.AppendUvarint(b, uint64(smp.Timestamp))
		ts = appendBytesField(ts, 2, b)
	}
	return appendBytesField(nil, 1, ts)
}

// appendBytesField appends field num of the length-delimited wire type.
func appendBytesField(b []byte, num uint64, v []byte) []byte {
	b = binary.AppendUvarint(b, num<<3|2)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func one(ls ...string) prompb.TimeSeries {
	s := prompb.TimeSeries{Samples: []prompb.Sample{{Value: 1, Timestamp: tsBase}}}
	for i := 0; i+1 < len(ls); i += 2 {
		s.Labels = append(s.Labels, prompb.Label{Name: ls[i], Value: ls[i+1]})
	}
	return s
}

// bomb is a valid snappy block whose decoded length is n bytes of zeros:
// one 64-byte literal, then 64-byte copies of it (about 21:1).
func bomb(n int) []byte {
	var buf bytes.Buffer
	var hdr [binary.MaxVarintLen64]byte
	buf.Write(hdr[:binary.PutUvarint(hdr[:], uint64(n))])
	buf.WriteByte(63 << 2) // literal of 64 bytes
	buf.Write(make([]byte, 64))
	for left := n - 64; left > 0; left -= 64 {
		l := min(left, 64)
		buf.Write([]byte{byte(l-1)<<2 | 2, 64, 0}) // copy-2, offset 64
	}
	return buf.Bytes()
}

// TestBadInput: each hostile request gets the right 4xx and a message,
// writes nothing to the queues and never a 5xx.
func TestBadInput(t *testing.T) {
	b := newBackend(t)
	w := newWorld(t, 2, b)
	in := startDaemon(t, w, t.TempDir(), func(c *config.Config) {
		c.MaxBodyBytes = 4 << 20
		c.MaxDecodedBytes = 16 << 20
	})
	cases := []struct {
		name string
		body []byte
		raw  bool // body is sent as is, not snappy-encoded
		want int
	}{
		{"body over the cap", bytes.Repeat([]byte{0xff}, 5<<20), true, 413},
		{"decoded length over the cap", bomb(32 << 20), true, 400},
		{"invalid snappy", []byte("this is not snappy at all"), true, 400},
		{"truncated protobuf", encodeWR(t, []prompb.TimeSeries{one("__name__", "m", "a", "b")})[:9], false, 400},
		{"wrong field type", []byte{0x08, 0x01}, false, 400},
		{"label with empty name", encodeWR(t, []prompb.TimeSeries{one("__name__", "m", "", "v")}), false, 400},
		{"duplicate label names", encodeWR(t, []prompb.TimeSeries{one("__name__", "m", "a", "1", "a", "2")}), false, 400},
		{"invalid UTF-8 value", encodeWR(t, []prompb.TimeSeries{one("__name__", "m", "a", "\xff\xfe")}), false, 400},
		{"no labels", encodeWR(t, []prompb.TimeSeries{one()}), false, 400},
	}
	c := &http.Client{Timeout: 30 * time.Second}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			r := &row{Scenario: "bad input: " + tc.name, Injected: fmt.Sprintf("%d-byte body", len(tc.body))}
			report(t, r)
			body := tc.body
			if !tc.raw {
				body = snappy.Encode(nil, body)
			}
			before := gaugeFor(in.d.Registry(), "prws_queue_appended_records_total", "")
			code, msg := post(c, in.url, body, nil)
			after := gaugeFor(in.d.Registry(), "prws_queue_appended_records_total", "")
			r.Note = fmt.Sprintf("%d %s", code, firstLine(strings.TrimSpace(msg)))
			if len(r.Note) > 140 {
				r.Note = r.Note[:140] + "…"
			}
			if code != tc.want {
				t.Errorf("answer %d %q, want %d", code, msg, tc.want)
			}
			if strings.TrimSpace(msg) == "" {
				t.Error("no message")
			}
			if after != before {
				t.Errorf("queue records appended: %v -> %v", before, after)
			}
		})
	}
}

// TestBombConcurrent sends 200 decompression bombs at once: every one is
// refused with 400 before it is decoded and the heap stays bounded.
func TestBombConcurrent(t *testing.T) {
	r := &row{Scenario: "bad input: 200 concurrent bombs", Injected: "200 × 1.5 MiB snappy → 32 MiB zeros"}
	report(t, r)
	b := newBackend(t)
	w := newWorld(t, 2, b)
	in := startDaemon(t, w, t.TempDir(), func(c *config.Config) { c.MaxDecodedBytes = 16 << 20 })
	body := bomb(32 << 20)
	heap := watchHeap()
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	c := &http.Client{Timeout: 60 * time.Second}
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _ := post(c, in.url, body, nil)
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	peak := heap()
	r.Note = fmt.Sprintf("answers %v; heap peak %d MiB (bodies alone: %d MiB)", codes, peak>>20, 200*len(body)>>20)
	if codes[400] != 200 {
		t.Errorf("answers %v, want 200 × 400", codes)
	}
	if peak > 1<<30 {
		t.Errorf("heap peaked at %d MiB", peak>>20)
	}
}

// TestOddButValid: unsorted labels are accepted and sorted; NaN, ±Inf and
// stale markers arrive bit for bit; a request of very many tiny series is
// accepted and delivered whole.
func TestOddButValid(t *testing.T) {
	b := newBackend(t)
	b.KeepRaw()
	w := newWorld(t, 2, b)
	in := startDaemon(t, w, t.TempDir(), nil)
	c := &http.Client{Timeout: 2 * time.Minute}

	t.Run("unsorted_and_special_values", func(t *testing.T) {
		r := &row{Scenario: "odd input: unsorted labels, NaN/Inf/stale", Injected: "5 samples"}
		report(t, r)
		vals := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Float64frombits(value.StaleNaN), math.Copysign(0, -1)}
		s := prompb.TimeSeries{Labels: []prompb.Label{{Name: "z", Value: "1"}, {Name: "__name__", Value: "odd"}, {Name: "a", Value: "2"}}}
		for i, v := range vals {
			s.Samples = append(s.Samples, prompb.Sample{Value: v, Timestamp: tsBase + int64(i)})
		}
		code, msg := post(c, in.url, snappy.Encode(nil, encodeSigned(t, s)), nil)
		if code != http.StatusNoContent {
			t.Fatalf("answer %d %s", code, msg)
		}
		r.Acked = int64(len(vals))
		var got prompb.TimeSeries
		eventually(t, 10*time.Second, "the odd series to arrive", func() bool {
			for _, ts := range b.Raw() {
				if len(ts.Labels) == 3 && ts.Labels[2].Name == "z" || len(ts.Labels) > 0 && ts.Labels[0].Value == "odd" {
					got = ts
					return true
				}
			}
			return false
		})
		names := []string{}
		for _, l := range got.Labels {
			names = append(names, l.Name)
		}
		if strings.Join(names, ",") != "__name__,a,z" {
			t.Errorf("labels arrived as %v, want sorted", names)
		}
		for i, smp := range got.Samples {
			if i < len(vals) && math.Float64bits(smp.Value) == math.Float64bits(vals[i]) {
				r.Delivered++
			}
		}
		r.Lost = r.Acked - r.Delivered
		if r.Lost != 0 {
			t.Errorf("values not bit for bit: %v", got.Samples)
		}
		r.Note = "labels " + strings.Join(names, ",")
	})

	t.Run("1MiB_label_value", func(t *testing.T) {
		r := &row{Scenario: "odd input: 1 MiB label value", Injected: "one series"}
		report(t, r)
		long := strings.Repeat("x", 1<<20)
		code, msg := post(c, in.url, snappy.Encode(nil, encodeWR(t, []prompb.TimeSeries{one("__name__", "long", "a", long)})), nil)
		r.Note = fmt.Sprintf("%d %s", code, firstLine(msg))
		// The default --max-label-value-length (16 KiB) refuses it whole,
		// before it can poison a batch on a backend.
		if code != http.StatusBadRequest || !strings.Contains(msg, "label") {
			t.Fatalf("answer %d %s, want 400 naming the label", code, msg)
		}
		r.Note = "refused by --max-label-value-length: " + firstLine(msg)
	})

	t.Run("many_tiny_series", func(t *testing.T) {
		n := pick(100_000, 1_000_000)
		r := &row{Scenario: "odd input: many tiny series", Injected: fmt.Sprintf("%d series in one request", n)}
		report(t, r)
		l := newLoad(in.url, n, n)
		began := time.Now()
		code := l.One(in.url)
		took := time.Since(began)
		if code != http.StatusNoContent {
			l.CheckUnexpected(t)
			t.Fatalf("answer %d", code)
		}
		w.drain(t, l, 2*time.Minute, r)
		r.Note = fmt.Sprintf("acknowledged in %v", took.Round(time.Millisecond))
	})
}

// TestSlowClients: a client that trickles its headers is disconnected by
// the server's ReadHeaderTimeout (10 s in daemon/server.go). Full run only.
func TestSlowClients(t *testing.T) {
	r := &row{Scenario: "slow-loris headers", Injected: "one header byte per second"}
	report(t, r)
	if !full {
		t.Skip("waits for the 10 s ReadHeaderTimeout; runs under PRWS_CHAOS=full")
	}
	b := newBackend(t)
	w := newWorld(t, 2, b)
	in := startDaemon(t, w, t.TempDir(), nil)
	addr := strings.TrimPrefix(strings.SplitN(in.url, "/api", 2)[0], "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	began := time.Now()
	conn.Write([]byte("POST /api/v1/receive HTTP/1.1\r\nHost: x\r\n"))
	var closed time.Duration
	for i := 0; i < 30; i++ {
		if _, err := conn.Write([]byte("X")); err != nil {
			closed = time.Since(began)
			break
		}
		conn.SetReadDeadline(time.Now().Add(time.Second))
		var buf [512]byte
		if n, err := conn.Read(buf[:]); n > 0 || (err != nil && !isTimeout(err)) {
			closed = time.Since(began)
			break
		}
	}
	r.Note = fmt.Sprintf("closed after %v (--http.read-header-timeout 10s)", closed.Round(time.Second))
	if closed == 0 || closed > 15*time.Second {
		t.Errorf("slow-loris connection still open after 30s (closed=%v)", closed)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestSlowBody: with --http.read-timeout 2s, a sender that sends its
// headers at once and then trickles the body one byte every 200 ms is cut
// off, never acknowledged, and nothing of it reaches a queue.
func TestSlowBody(t *testing.T) {
	r := &row{Scenario: "slow-loris body", Injected: "body trickled 1 byte / 200ms, read timeout 2s"}
	report(t, r)
	b := newBackend(t)
	w := newWorld(t, 2, b)
	in := startDaemon(t, w, t.TempDir(), func(c *config.Config) { c.HTTPReadTimeout = 2 * time.Second })
	body := encodeWR(t, []prompb.TimeSeries{one("__name__", "slow_body", "a", "b")})
	addr := strings.TrimPrefix(strings.SplitN(in.url, "/api", 2)[0], "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	began := time.Now()
	fmt.Fprintf(conn, "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"+
		"Content-Encoding: snappy\r\nX-Prometheus-Remote-Write-Version: 0.1.0\r\nContent-Length: %d\r\n\r\n", len(body))
	var cut time.Duration
	answer := ""
	for i := 0; i < len(body)-1 && cut == 0; i++ { // never the last byte
		if _, err := conn.Write(body[i : i+1]); err != nil {
			cut = time.Since(began)
			break
		}
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		var buf [512]byte
		if n, err := conn.Read(buf[:]); n > 0 || (err != nil && !isTimeout(err)) {
			cut, answer = time.Since(began), strings.SplitN(string(buf[:n]), "\r\n", 2)[0]
		}
	}
	if cut == 0 || cut > 5*time.Second {
		t.Fatalf("trickled body not cut off (after %v, %d-byte body)", time.Since(began), len(body))
	}
	if strings.Contains(answer, " 2") {
		t.Errorf("trickled body acknowledged: %q", answer)
	}
	time.Sleep(200 * time.Millisecond)
	if n := scrape(t, "http://"+addr+"/metrics", "prws_queue_appended_samples_total"); n != 0 {
		t.Errorf("%v samples of the cut-off request reached a queue", n)
	}
	if answer == "" {
		answer = "connection closed"
	}
	r.Note = fmt.Sprintf("cut off after %v (%s); queues untouched", cut.Round(100*time.Millisecond), answer)
}
