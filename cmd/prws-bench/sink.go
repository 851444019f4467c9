package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

// sinkOptions say how a sink treats a request. The zero value snappy-
// decodes, counts the samples with a wire scan and answers at once.
type sinkOptions struct {
	// Decode unmarshals every request into a prompb.WriteRequest, as a
	// real backend must, instead of scanning the wire.
	Decode bool
	// Delay is how long each accepted request is held before its answer
	// (a distant or loaded backend); requests are held concurrently.
	Delay time.Duration
}

// describe names the sink's behaviour for the result table.
func (o sinkOptions) describe() string {
	s := "sink, wire scan"
	if o.Decode {
		s = "sink, protobuf decode"
	}
	if o.Delay > 0 {
		s += fmt.Sprintf(", answers after %s", o.Delay)
	}
	return s
}

// sink is a null remote-write backend: it snappy-decodes each request,
// counts its samples (see sinkOptions) and keeps nothing. It accepts
// writes on every path ending in /api/v1/write, so one sink can stand for
// many backends (pathURL). Down makes it answer 503 without reading the
// payload. Safe for concurrent use.
type sink struct {
	opt      sinkOptions
	samples  atomic.Int64
	requests atomic.Int64
	down     atomic.Bool
	bufs     sync.Pool // *[2][]byte: compressed, decoded
	srv      *http.Server
	URL      string // remote-write URL
}

// startSink listens on addr (127.0.0.1:0 for any port) and serves.
func startSink(addr string, opt sinkOptions) (*sink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &sink{opt: opt, URL: "http://" + ln.Addr().String() + "/api/v1/write"}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/api/v1/write") {
			http.NotFound(w, r)
			return
		}
		s.serveWrite(w, r)
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, _ *http.Request) { s.down.Store(true) })
	mux.HandleFunc("/up", func(w http.ResponseWriter, _ *http.Request) { s.down.Store(false) })
	s.srv = &http.Server{Handler: mux}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *sink) close() { _ = s.srv.Close() }

// pathURL returns the remote-write URL of the sink's i-th path, a distinct
// backend URL for a relay's ring.
func (s *sink) pathURL(i int) string {
	return strings.TrimSuffix(s.URL, "/api/v1/write") + fmt.Sprintf("/b%d/api/v1/write", i)
}

func (s *sink) serveWrite(w http.ResponseWriter, r *http.Request) {
	if s.down.Load() {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Retry-After", "1")
		http.Error(w, "sink is down", http.StatusServiceUnavailable)
		return
	}
	bp, _ := s.bufs.Get().(*[2][]byte)
	if bp == nil {
		bp = new([2][]byte)
	}
	defer s.bufs.Put(bp)
	comp, err := readAll(r.Body, bp[0][:0])
	bp[0] = comp
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	raw, err := snappy.Decode(bp[1][:cap(bp[1])], comp)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	bp[1] = raw[:0]
	n, ok := s.count(raw)
	if !ok {
		http.Error(w, "malformed WriteRequest", http.StatusBadRequest)
		return
	}
	if s.opt.Delay > 0 {
		time.Sleep(s.opt.Delay)
	}
	s.samples.Add(int64(n))
	s.requests.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

// count returns the samples and histograms of the WriteRequest raw.
func (s *sink) count(raw []byte) (int, bool) {
	if !s.opt.Decode {
		return countSamples(raw)
	}
	var wr prompb.WriteRequest
	if err := wr.Unmarshal(raw); err != nil {
		return 0, false
	}
	n := 0
	for i := range wr.Timeseries {
		n += len(wr.Timeseries[i].Samples) + len(wr.Timeseries[i].Histograms)
	}
	return n, true
}

// readAll reads r into buf, growing it.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// countSamples counts Sample and Histogram entries of every TimeSeries of
// a WriteRequest without decoding it.
func countSamples(b []byte) (int, bool) {
	n := 0
	for i := 0; i < len(b); {
		num, start, end, next, ok := wireField(b, i)
		if !ok {
			return 0, false
		}
		if num == 1 && start >= 0 {
			for j := start; j < end; {
				sn, _, _, sNext, ok := wireField(b[:end], j)
				if !ok {
					return 0, false
				}
				if sn == 2 || sn == 4 {
					n++
				}
				j = sNext
			}
		}
		i = next
	}
	return n, true
}

// wireField decodes the field at b[i:]: its number, the payload bounds of
// a length-delimited field (start -1 otherwise) and the next offset.
func wireField(b []byte, i int) (num uint64, start, end, next int, ok bool) {
	tag, i, ok := uvarint(b, i)
	if !ok {
		return 0, 0, 0, 0, false
	}
	num, start = tag>>3, -1
	switch tag & 7 {
	case 0:
		_, i, ok = uvarint(b, i)
	case 1:
		i, ok = i+8, i+8 <= len(b)
	case 5:
		i, ok = i+4, i+4 <= len(b)
	case 2:
		var l uint64
		if l, i, ok = uvarint(b, i); ok && l <= uint64(len(b)-i) {
			start, end = i, i+int(l)
			i = end
		} else {
			ok = false
		}
	default:
		ok = false
	}
	return num, start, end, i, ok
}

func uvarint(b []byte, i int) (uint64, int, bool) {
	var v uint64
	for shift := uint(0); i < len(b) && shift < 64; shift += 7 {
		c := b[i]
		i++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, i, true
		}
	}
	return 0, i, false
}
