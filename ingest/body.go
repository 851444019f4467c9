package ingest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/golang/snappy"
)

// readBody reads the compressed body into st.comp, enforcing
// MaxBodyBytes: Content-Length first when present, then the bytes read.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, st *reqState) ([]byte, int, string) {
	limit := h.opts.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, tooLarge(r.ContentLength, limit)
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	buf := st.comp[:0]
	if r.ContentLength > 0 {
		buf = slices.Grow(buf, int(r.ContentLength)+1) // +1: room to see EOF
	}
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(4096, cap(buf)))
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			st.comp = buf
			code, msg := readErrorStatus(err, limit)
			return nil, code, msg
		}
	}
	st.comp = buf
	h.m.bytesCompressed.Add(float64(len(buf)))
	return buf, 0, ""
}

func tooLarge(n, limit int64) string {
	return fmt.Sprintf("request body of %d bytes exceeds limit %d", n, limit)
}

// readErrorStatus maps a body read error onto a status and message.
func readErrorStatus(err error, limit int64) (int, string) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds limit %d bytes", limit)
	}
	return http.StatusBadRequest, "reading request body: " + err.Error()
}

// decompress checks the snappy header against MaxDecodedBytes and the
// in-flight budget (taken into bud before anything is allocated), then
// decodes comp into st.body.
func (h *Handler) decompress(st *reqState, bud *budget, comp []byte) ([]byte, int, string) {
	n, err := snappy.DecodedLen(comp)
	if err != nil {
		return nil, http.StatusBadRequest, "invalid snappy block: " + err.Error()
	}
	if int64(n) > h.opts.MaxDecodedBytes {
		return nil, http.StatusBadRequest, fmt.Sprintf("decoded length %d exceeds limit %d", n, h.opts.MaxDecodedBytes)
	}
	if !bud.resize(int64(n)) {
		return nil, http.StatusServiceUnavailable, overloaded
	}
	body, err := snappy.Decode(st.body[:cap(st.body)], comp)
	if cap(body) > cap(st.body) {
		st.body = body[:0]
	}
	if err != nil {
		return nil, http.StatusBadRequest, "invalid snappy block: " + err.Error()
	}
	h.m.bytesDecoded.Add(float64(len(body)))
	return body, 0, ""
}

const overloaded = "overloaded: too many bytes in flight, retry later"

// reserve takes n bytes of the in-flight budget. A request alone is always
// admitted, so a budget below MaxDecodedBytes cannot starve it.
func (h *Handler) reserve(n int64) bool {
	v := h.inflight.Add(n)
	if v > h.opts.MaxInflightBytes && v != n {
		h.inflight.Add(-n)
		return false
	}
	h.m.inflight.Add(float64(n))
	return true
}

// release returns n bytes to the in-flight budget.
func (h *Handler) release(n int64) {
	h.inflight.Add(-n)
	h.m.inflight.Sub(float64(n))
}

// budget is what one request holds of the handler's in-flight bytes.
type budget struct {
	h    *Handler
	held int64
}

// resize swaps the holding for n bytes: false (holding nothing) when the
// budget cannot take them. A request alone is always admitted.
func (b *budget) resize(n int64) bool {
	b.release()
	if !b.h.reserve(n) {
		return false
	}
	b.held = n
	return true
}

// release gives back what is held.
func (b *budget) release() {
	if b.held != 0 {
		b.h.release(b.held)
		b.held = 0
	}
}
