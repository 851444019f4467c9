package ingest

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/prws/prws/queue"
)

// Response headers of remote-write 2.0: the elements written.
const (
	hdrSamplesWritten    = "X-Prometheus-Remote-Write-Samples-Written"
	hdrHistogramsWritten = "X-Prometheus-Remote-Write-Histograms-Written"
	hdrExemplarsWritten  = "X-Prometheus-Remote-Write-Exemplars-Written"
)

// setWritten sets the three Written headers.
func setWritten(h http.Header, c writtenCounts) {
	h.Set(hdrSamplesWritten, strconv.Itoa(c.samples))
	h.Set(hdrHistogramsWritten, strconv.Itoa(c.histograms))
	h.Set(hdrExemplarsWritten, strconv.Itoa(c.exemplars))
}

// serveV2 handles a remote-write 2.0 body (compressed comp): decode it in
// full, convert it to a remote-write 1.0 request and route that as a 1.0
// request is routed. On success it sets the Written headers to what the
// series limiter admitted.
func (h *Handler) serveV2(hdr http.Header, st *reqState, rt *Routing, comp []byte, tenant string) (int, string) {
	bud := budget{h: h}
	defer bud.release()
	body, code, msg := h.decompress(st, &bud, comp)
	if code != 0 {
		return code, msg
	}
	s := h.v2states.get()
	var written writtenCounts
	held := true
	putBack := func() { // once placed, the counts are all s is needed for
		written, held = s.written(), false
		h.v2states.put(s)
	}
	defer func() {
		if held {
			h.v2states.put(s)
		}
	}()
	v1, code, msg := h.convertV2(s, &bud, body)
	if code != 0 {
		return code, msg
	}
	var lim Limiter
	if h.opts.Limiter != nil {
		s.admit.reset(h.opts.Limiter)
		lim = &s.admit
	}
	pl := &s.place
	pl.kind, pl.seriesMeta = queue.KindSeries, s.seriesMeta
	if s.hasST {
		pl.kind = queue.KindSeriesST
	}
	// The queues copy the records: s serves other requests while this
	// one waits for the disk.
	st.submitted, st.place.v2 = putBack, pl
	code, msg = h.route(st, rt, v1, tenant, lim)
	st.submitted, st.place.v2 = nil, nil
	if code == http.StatusNoContent {
		if held {
			written = s.written()
		}
		setWritten(hdr, written)
	}
	return code, msg
}

// convertV2 decodes body into s.req, converts it and marshals the 1.0
// request into s.out, holding the memory it needs in the budget. A
// request whose conversion needs more than MaxInflightBytes, or whose 1.0
// form exceeds MaxDecodedBytes, is refused with 413.
func (h *Handler) convertV2(s *v2State, bud *budget, body []byte) ([]byte, int, string) {
	est, err := estimateV2(body)
	if err != nil {
		return nil, http.StatusBadRequest, (&v2Error{series: -1, err: malformed("Request", err)}).Error()
	}
	if est > h.opts.MaxInflightBytes {
		return nil, http.StatusRequestEntityTooLarge, fmt.Sprintf(
			"remote-write 2.0 request needs about %d bytes to convert, over limit %d", est, h.opts.MaxInflightBytes)
	}
	if !bud.resize(int64(len(body)) + est) {
		return nil, http.StatusServiceUnavailable, overloaded
	}
	if err := s.req.Unmarshal(body); err != nil {
		return nil, http.StatusBadRequest, (&v2Error{series: -1, err: malformed("Request", err)}).Error()
	}
	if err := s.convert(&h.opts); err != nil {
		return nil, http.StatusBadRequest, err.Error()
	}
	return h.marshalV1(s, bud, int64(len(body))+est)
}

// marshalV1 marshals s.wr into s.out once the budget holds its size too.
func (h *Handler) marshalV1(s *v2State, bud *budget, held int64) ([]byte, int, string) {
	size := s.wr.Size()
	if int64(size) > h.opts.MaxDecodedBytes {
		return nil, http.StatusRequestEntityTooLarge, fmt.Sprintf(
			"remote-write 2.0 request converts to %d bytes of remote-write 1.0, over limit %d", size, h.opts.MaxDecodedBytes)
	}
	if !bud.resize(held + int64(size)) {
		return nil, http.StatusServiceUnavailable, overloaded
	}
	if cap(s.out) < size {
		s.out = make([]byte, size)
	}
	n, err := s.wr.MarshalToSizedBuffer(s.out[:size])
	if err != nil || n != size {
		err = errors.Join(err, fmt.Errorf("marshalled %d of %d bytes", n, size))
		h.opts.Logger.Error("ingest: marshal converted remote-write 2.0 request", "err", err)
		return nil, http.StatusInternalServerError, "internal conversion error"
	}
	return s.out[:size], 0, ""
}
