package testenv

import (
	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

// DecodeWrite decodes a remote-write 1.0 request body as a recording
// backend receives it: snappy, then the protobuf WriteRequest.
func DecodeWrite(body []byte) (*prompb.WriteRequest, error) {
	raw, err := snappy.Decode(nil, body)
	if err != nil {
		return nil, err
	}
	var wr prompb.WriteRequest
	if err := wr.Unmarshal(raw); err != nil {
		return nil, err
	}
	return &wr, nil
}
