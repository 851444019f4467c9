package ingest

import (
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Handler receives remote-write requests. Build it with NewHandler; it is
// safe for concurrent use. It refuses requests (503) until SetRouting has
// been called and while SetReady(false) is in effect.
type Handler struct {
	opts       Options // private copy, defaults applied
	ext        []extLabel
	m          *Metrics
	retryAfter string // Retry-After header value, in seconds

	routing  atomic.Pointer[Routing]
	draining atomic.Bool  // set by SetReady(false)
	inflight atomic.Int64 // decoded bytes of requests being processed
	states   statePool
	v2states v2Pool // remote-write 2.0 conversion scratch
}

// NewHandler returns a Handler for opts (zero value works; check
// ExternalLabels with opts.Validate first). metrics may be nil, in which
// case unregistered metrics are used.
func NewHandler(opts Options, metrics *Metrics) *Handler {
	o := opts.withDefaults()
	if metrics == nil {
		metrics = NewMetrics(nil)
	}
	secs := int(math.Ceil(o.RetryAfter.Seconds()))
	return &Handler{
		opts:       o,
		ext:        externalLabels(o.ExternalLabels),
		m:          metrics,
		retryAfter: strconv.Itoa(max(secs, 1)),
	}
}

// SetRouting atomically replaces the routing used by requests that start
// from now on; requests in progress finish with the one they loaded. rt
// must not be modified afterwards. A nil rt makes the handler refuse (503).
func (h *Handler) SetRouting(rt *Routing) { h.routing.Store(rt) }

// SetReady switches the handler between accepting (true, the initial
// state) and draining (false): a draining handler answers 503 with
// Retry-After to new requests; requests in progress complete normally.
func (h *Handler) SetReady(ready bool) { h.draining.Store(!ready) }

// ServeHTTP handles one remote-write request; see the package doc for the
// status codes. It returns only after every queue it submitted to answered.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	code, msg := h.serve(w, r)
	switch code {
	case http.StatusNoContent:
		w.WriteHeader(code)
	case http.StatusServiceUnavailable:
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", h.retryAfter)
		}
		http.Error(w, msg, code)
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, msg, code)
	default:
		http.Error(w, msg, code)
	}
	h.m.request(code)
	h.m.duration.Observe(time.Since(start).Seconds())
}

// serve runs the request and returns the status and the message to send.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (int, string) {
	proto, code, msg := h.checkRequest(r)
	if code != 0 {
		return code, msg
	}
	if proto == protoRequestV2 {
		setWritten(w.Header(), writtenCounts{}) // replaced once something is written
	}
	tenant := ""
	if h.opts.TenantHeader != "" {
		tenant = r.Header.Get(h.opts.TenantHeader)
		if msg := checkTenant(tenant); msg != "" {
			return http.StatusBadRequest, h.opts.TenantHeader + ": " + msg
		}
	}
	rt := h.routing.Load()
	if rt == nil {
		return http.StatusServiceUnavailable, "not ready: no routing configured"
	}
	st := h.states.get()
	defer h.states.put(st)
	comp, code, msg := h.readBody(w, r, st)
	if code != 0 {
		return code, msg
	}
	defer st.setRetryAfter(w.Header())
	if proto == protoRequestV2 {
		return h.serveV2(w.Header(), st, rt, comp, tenant)
	}
	return h.serveV1(st, rt, comp, tenant)
}

// checkRequest checks readiness, method and content negotiation, and
// returns the message schema of the body.
func (h *Handler) checkRequest(r *http.Request) (wireProto, int, string) {
	if h.draining.Load() {
		return 0, http.StatusServiceUnavailable, "not ready: shutting down"
	}
	if r.Method != http.MethodPost {
		return 0, http.StatusMethodNotAllowed, "method " + r.Method + " not allowed; use POST"
	}
	proto, msg := checkContentType(r.Header.Get("Content-Type"))
	if msg != "" {
		return 0, http.StatusUnsupportedMediaType, msg
	}
	if msg := checkContentEncoding(r.Header.Get("Content-Encoding")); msg != "" {
		return 0, http.StatusUnsupportedMediaType, msg
	}
	return proto, 0, ""
}

// serveV1 decompresses a remote-write 1.0 body (compressed comp) and
// routes it, holding its decoded size in the in-flight budget until the
// queues answered.
func (h *Handler) serveV1(st *reqState, rt *Routing, comp []byte, tenant string) (int, string) {
	bud := budget{h: h}
	defer bud.release()
	body, code, msg := h.decompress(st, &bud, comp)
	if code != 0 {
		return code, msg
	}
	return h.route(st, rt, body, tenant, h.opts.Limiter)
}

// route decodes, places and submits body, a remote-write 1.0
// WriteRequest, asking lim (nil: admit all) about every series.
func (h *Handler) route(st *reqState, rt *Routing, body []byte, tenant string, lim Limiter) (int, string) {
	st.prepare(rt, &h.opts, h.ext, h.opts.Now().UnixMilli(), lim)
	if err := st.dec.decode(body); err != nil {
		return http.StatusBadRequest, err.Error()
	}
	if len(st.dec.entries) == 0 && len(st.dec.meta) == 0 {
		h.m.relabel.record(rt.Relabel, &st.dec, nil)
		return http.StatusNoContent, ""
	}
	if ok, msg := h.tenantAllowed(st, tenant); !ok {
		return http.StatusServiceUnavailable, msg
	}
	if err := st.place.place(rt, &st.dec, body, lim, h.opts.BatchSamples); err != nil {
		h.opts.Logger.Error("ingest: routing does not match its targets", slog.Any("err", err))
		return http.StatusInternalServerError, "internal routing error"
	}
	h.m.seriesKeep.Add(float64(st.place.kept))
	h.m.seriesRerouted.Add(float64(st.place.rerouted))
	h.m.seriesDrop.Add(float64(st.place.dropped))
	h.m.relabel.record(rt.Relabel, &st.dec, &st.place.br)
	if err := st.submit(tenant); err != nil {
		h.opts.Logger.Debug("ingest: queue refused records", slog.Any("err", err))
		return http.StatusServiceUnavailable, "queue unavailable, retry later: " + err.Error()
	}
	h.m.samples.Add(float64(st.place.keptSamples))
	return http.StatusNoContent, ""
}
