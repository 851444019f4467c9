package readback

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/internal/testenv"
)

// Content types of the two protocols.
const (
	ctV1 = "application/x-protobuf"
	ctV2 = "application/x-protobuf;proto=io.prometheus.write.v2.Request"
)

// post sends one remote-write request and fails the test unless it is
// answered 204.
func post(t *testing.T, url string, body []byte, v2 bool) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(snappy.Encode(nil, body)))
	if err != nil {
		t.Fatal(err)
	}
	ct, version := ctV1, "0.1.0"
	if v2 {
		ct, version = ctV2, "2.0.0"
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("X-Prometheus-Remote-Write-Version", version)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, msg)
	}
}

// sendV1 sends ss as a 1.0 sender does: the metadata in a request of
// its own first, then the series in two requests.
func sendV1(t *testing.T, url string, ss []series) {
	t.Helper()
	post(t, url, marshal(t, &prompb.WriteRequest{Metadata: v1Metadata()}), false)
	half := len(ss) / 2
	post(t, url, marshal(t, v1Request(ss[:half], false)), false)
	post(t, url, marshal(t, v1Request(ss[half:], false)), false)
}

// sendV2 sends ss as a 2.0 sender does, in two requests; withMeta as
// v2Request.
func sendV2(t *testing.T, url string, ss []series, withMeta bool) {
	t.Helper()
	half := len(ss) / 2
	post(t, url, marshal(t, v2Request(ss[:half], withMeta)), true)
	post(t, url, marshal(t, v2Request(ss[half:], withMeta)), true)
}

// sendV2AsV1 sends ss as a 1.0 sender would that had the 2.0 data:
// the series without start timestamps, metadata per family.
func sendV2AsV1(t *testing.T, url string, ss []series) {
	t.Helper()
	half := len(ss) / 2
	post(t, url, marshal(t, v1Request(ss[:half], true)), false)
	post(t, url, marshal(t, v1Request(ss[half:], true)), false)
}

// withoutST is ss without start timestamps: the 1.0 sender's data.
func withoutST(ss []series) []series {
	out := make([]series, len(ss))
	for i, s := range ss {
		out[i] = s
		out[i].points = append([]point(nil), s.points...)
		for j := range out[i].points {
			out[i].points[j].st = 0
		}
	}
	return out
}

func marshal(t *testing.T, m interface{ Marshal() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startPrws runs the prws binary in front of bs at replica factor 2 over
// four shards, with small batches so each queue sends several, every
// backend spoken to in protocol ("v1" or "v2"). It returns prws'
// remote-write URL.
func startPrws(t *testing.T, protocol string, bs ...*backend) string {
	t.Helper()
	return startPrwsOn(t, filepath.Join(t.TempDir(), "data"), protocol, bs...)
}

// startPrwsOn is startPrws with data as the data dir.
func startPrwsOn(t *testing.T, data, protocol string, bs ...*backend) string {
	t.Helper()
	bin, err := testenv.BuildPrws()
	if err != nil {
		t.Fatal(err)
	}
	var cfg strings.Builder
	cfg.WriteString("backends:\n")
	for _, b := range bs {
		fmt.Fprintf(&cfg, "  - url: %s\n    protocol: %s\n", b.url(), protocol)
	}
	cfgFile := filepath.Join(t.TempDir(), "prws.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := testenv.FreeAddr(t)
	p := testenv.StartProc(t, bin, "run", "--listen", listen, "--data-dir", data,
		"--config.file", cfgFile, "--replica_factor", "2", "--shard", "4", "--batch", "20",
		"--remote_write_min_wait", "10ms", "--remote_write_max_wait", "200ms")
	waitReady(t, p, listen)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("prws (%s backends) log:\n%s", protocol, p.Log.String())
		}
	})
	return "http://" + listen + "/api/v1/receive"
}

// waitReady waits (bounded) until the prws process p answers /-/ready.
func waitReady(t *testing.T, p *testenv.Proc, listen string) {
	t.Helper()
	testenv.Eventually(t, 15*time.Second, "prws ready", func() bool {
		select {
		case <-p.Done():
			t.Fatalf("prws exited:\n%s", p.Log.String())
		default:
		}
		resp, err := http.Get("http://" + listen + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// metricSum scrapes the /metrics of the prws whose remote-write URL is
// url and sums the samples of the metric called name.
func metricSum(t *testing.T, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(strings.TrimSuffix(url, "/api/v1/receive") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	if f, ok := mfs[name]; ok {
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}
