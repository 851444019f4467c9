package replay

import (
	"fmt"
	"net/http"

	"github.com/prws/prws/internal/rw2"
	"github.com/prws/prws/queue"
)

// Protocol is a remote-write protocol version a backend is sent.
type Protocol string

// The protocols Endpoint.Protocol accepts.
const (
	ProtocolV1 Protocol = "v1" // remote-write 1.0, prometheus.WriteRequest
	ProtocolV2 Protocol = "v2" // remote-write 2.0, io.prometheus.write.v2.Request
)

// ParseProtocol checks a configured protocol name: "" and "v1" are
// ProtocolV1, "v2" is ProtocolV2; anything else is an error.
func ParseProtocol(s string) (Protocol, error) {
	switch Protocol(s) {
	case "", ProtocolV1:
		return ProtocolV1, nil
	case ProtocolV2:
		return ProtocolV2, nil
	}
	return "", fmt.Errorf("replay: unknown remote-write protocol %q (want v1 or v2)", s)
}

// Remote-write request header values by protocol.
const (
	contentTypeV1 = "application/x-protobuf"
	contentTypeV2 = "application/x-protobuf;proto=io.prometheus.write.v2.Request"
	versionV1     = "0.1.0"
	versionV2     = "2.0.0"
)

// wireState is one worker's protocol state. It is owned by the worker's
// run goroutine.
type wireState struct {
	err error // the configured protocol is unknown
	v2  bool  // send 2.0; cleared for good when the backend refuses it

	batch    *queue.Batch // the current batch
	v1       []byte       // its 1.0 form: queue.Batch.Snappy, or v1buf once v1Done
	v1Done   bool         // v1 is final (a batch without start timestamps needs no work)
	raw      []byte       // the current batch decompressed, once rawDone
	rawDone  bool
	cur      []byte // what is sent for the current batch
	batchV2  bool   // cur is a 2.0 request
	empty    bool   // cur is a 2.0 request without series: nothing to send
	conv     *rw2.Encoder
	buf      []byte // snappy buffer of the 2.0 encoding
	strip    stStripper
	stripped []byte // raw without start timestamps
	v1buf    []byte // snappy buffer of stripped
}

func newWireState(p Protocol) *wireState {
	p, err := ParseProtocol(string(p))
	ws := &wireState{err: err, v2: p == ProtocolV2}
	if ws.v2 {
		ws.conv = rw2.NewEncoder()
	}
	return ws
}

// forget drops the current batch and every buffer, keeping the protocol
// and the 2.0 encoder's memory of metadata.
func (ws *wireState) forget() {
	ws.batch, ws.v1, ws.raw, ws.cur = nil, nil, nil, nil
	ws.buf, ws.stripped, ws.v1buf = nil, nil, nil
	ws.v1Done, ws.rawDone = false, false
}

// refused reports whether resp shows that the backend does not take the
// 2.0 request just sent: 415, or 2xx without any Written header.
func (ws *wireState) refused(resp *http.Response) bool {
	if !ws.batchV2 || resp == nil {
		return false
	}
	if resp.StatusCode == http.StatusUnsupportedMediaType {
		return true
	}
	if resp.StatusCode/100 != 2 {
		return false
	}
	h := resp.Header
	return h.Get("X-Prometheus-Remote-Write-Samples-Written") == "" &&
		h.Get("X-Prometheus-Remote-Write-Histograms-Written") == "" &&
		h.Get("X-Prometheus-Remote-Write-Exemplars-Written") == ""
}
