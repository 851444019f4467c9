package ingest

import (
	"mime"
	"strings"
)

// Remote-write content negotiation values.
const (
	protobufType = "application/x-protobuf"
	protoV1      = "prometheus.WriteRequest"
	protoV2      = "io.prometheus.write.v2.Request"
)

// wireProto is the protobuf message a request body carries.
type wireProto int

const (
	protoWriteRequest wireProto = iota // remote-write 1.0 prometheus.WriteRequest
	protoRequestV2                     // remote-write 2.0 io.prometheus.write.v2.Request
)

// checkContentType picks the message schema from the Content-Type, as the
// remote-write 2.0 spec requires: an absent Content-Type, or
// application/x-protobuf with no proto parameter or
// proto=prometheus.WriteRequest, is remote-write 1.0;
// proto=io.prometheus.write.v2.Request is remote-write 2.0. Anything else
// returns the reason for a 415.
func checkContentType(ct string) (wireProto, string) {
	if ct == "" || ct == protobufType {
		return protoWriteRequest, ""
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != protobufType {
		return 0, "unsupported Content-Type " + strings.TrimSpace(ct) + "; expected " + protobufType
	}
	switch params["proto"] {
	case "", protoV1:
		return protoWriteRequest, ""
	case protoV2:
		return protoRequestV2, ""
	}
	return 0, "unsupported protobuf message proto=" + params["proto"] + "; expected " + protoV1 + " or " + protoV2
}

// checkContentEncoding accepts snappy, or no Content-Encoding (treated as
// snappy, as Prometheus does). It returns "" or the reason for a 415.
func checkContentEncoding(ce string) string {
	if ce == "" || strings.EqualFold(strings.TrimSpace(ce), "snappy") {
		return ""
	}
	return "unsupported Content-Encoding " + ce + "; only snappy is accepted"
}

// maxTenantLen is the longest tenant id accepted, as in Mimir.
const maxTenantLen = 150

// checkTenant validates a tenant id as Mimir does: 1–150 characters of
// [A-Za-z0-9] and !-_.*'(), and neither "." nor "..". It returns "" or the
// reason for a 400.
func checkTenant(t string) string {
	switch {
	case t == "":
		return "missing tenant id"
	case len(t) > maxTenantLen:
		return "tenant id longer than 150 characters"
	case t == "." || t == "..":
		return "tenant id must not be \".\" or \"..\""
	}
	for i := 0; i < len(t); i++ {
		if !tenantChar(t[i]) {
			return "tenant id contains unsupported character " + quoteByte(t[i])
		}
	}
	return ""
}

func tenantChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!-_.*'()", c) >= 0
}

func quoteByte(c byte) string {
	const hex = "0123456789abcdef"
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	return "0x" + string([]byte{hex[c>>4], hex[c&15]})
}
