package e2e

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/internal/testenv"
)

// TestBadInputTouchesNothing sends every kind of bad request to the
// wired daemon: each gets its 4xx with a message, and no file of the data
// dir changes.
func TestBadInputTouchesNothing(t *testing.T) {
	a, b := newRecorder(t), newRecorder(t)
	dir := t.TempDir()
	cfg := testConfig(t, dir, a, b)
	cfg.MaxBodyBytes = 1 << 20
	in := start(t, cfg)
	valid := encode(t, testenv.NodeSeries(0, 10, 1000))
	bomb := append(bytes.Clone([]byte{0xff, 0xff, 0xff, 0xff, 0x0f}), 0x00)
	cases := []struct {
		name   string
		body   []byte
		hdr    map[string]string
		method string
		want   int
	}{
		{"invalid snappy", []byte("definitely not snappy"), nil, "", 400},
		{"decompression bomb", bomb, nil, "", 400},
		{"body over the cap", bytes.Repeat([]byte{1}, 2<<20), nil, "", 413},
		{"truncated protobuf", snappy.Encode(nil, mustRaw(t, testenv.NodeSeries(0, 3, 1))[:40]), nil, "", 400},
		{"series without labels", encode(t, []prompb.TimeSeries{{Samples: []prompb.Sample{{Value: 1, Timestamp: 1}}}}), nil, "", 400},
		{"empty label name", encode(t, withLabels(prompb.Label{Name: "", Value: "x"})), nil, "", 400},
		{"duplicate label name", encode(t, withLabels(prompb.Label{Name: "a", Value: "1"}, prompb.Label{Name: "a", Value: "2"})), nil, "", 400},
		{"invalid utf-8 value", encode(t, withLabels(prompb.Label{Name: "a", Value: "\xff\xfe"})), nil, "", 400},
		{"unknown content type", valid, map[string]string{"Content-Type": "application/json"}, "", 415},
		{"unknown encoding", valid, map[string]string{"Content-Encoding": "gzip"}, "", 415},
		{"GET", nil, nil, http.MethodGet, 405},
	}
	before := treeDigest(t, dir)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, msg := request(t, c.method, in.url, c.body, c.hdr)
			if code != c.want {
				t.Fatalf("status %d (%s), want %d", code, msg, c.want)
			}
			if strings.TrimSpace(msg) == "" {
				t.Fatalf("status %d without a message", code)
			}
			if after := treeDigest(t, dir); after != before {
				t.Fatalf("data dir changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	if code, msg := post(t, in.url, valid, nil); code != http.StatusNoContent {
		t.Fatalf("valid request after the bad ones: %d %s", code, msg)
	}
}

func mustRaw(t *testing.T, ts []prompb.TimeSeries) []byte {
	wr := prompb.WriteRequest{Timeseries: ts}
	raw, err := wr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func withLabels(ls ...prompb.Label) []prompb.TimeSeries {
	good := testenv.NodeSeries(0, 1, 1)[0]
	bad := prompb.TimeSeries{Labels: append([]prompb.Label{{Name: "__name__", Value: "m"}}, ls...),
		Samples: []prompb.Sample{{Value: 1, Timestamp: 1}}}
	return []prompb.TimeSeries{good, bad}
}

func request(t *testing.T, method, url string, body []byte, hdr map[string]string) (int, string) {
	if method == "" {
		return post(t, url, body, hdr)
	}
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.String()
}

// treeDigest hashes every file name, size and content under dir, except
// the LOCK and the bbolt file (whose pages bbolt may rewrite on its own).
func treeDigest(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "LOCK" || d.Name() == "state.db" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d %x\n", p, len(data), sha256.Sum256(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}
