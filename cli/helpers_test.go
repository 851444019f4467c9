package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/config"
	"github.com/prws/prws/daemon"
	"github.com/prws/prws/internal/testenv"
)

// backend is an httptest remote-write backend answering status (0: 204)
// and counting the samples it accepted.
type backend struct {
	srv      *httptest.Server
	status   atomic.Int32
	accepted atomic.Int64
}

func newBackend(t *testing.T, status int) *backend {
	b := &backend{}
	b.status.Store(int32(status))
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		wr, err := testenv.DecodeWrite(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// status refuses data, not every write: an empty request (prws'
		// probe of a refusing backend) is accepted.
		if s := int(b.status.Load()); s != 0 && len(wr.Timeseries) > 0 {
			http.Error(w, "sample timestamp out of bounds", s)
			return
		}
		for _, ts := range wr.Timeseries {
			b.accepted.Add(int64(len(ts.Samples)))
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *backend) URL() string { return b.srv.URL + "/api/v1/write" }

// startDaemon runs a wired daemon on data until the test ends (or stop
// is called) and returns its base URL.
func startDaemon(t *testing.T, data string, mutate func(*config.Config), bs ...*backend) (base string, stop func()) {
	t.Helper()
	cfg := config.Defaults()
	cfg.ShutdownDelay = 0
	cfg.DataDir = data
	for _, b := range bs {
		cfg.Backends = append(cfg.Backends, b.URL())
	}
	cfg.MinWait, cfg.MaxWait, cfg.Shards = 5*time.Millisecond, 50*time.Millisecond, 2
	cfg.AdminAPI = true
	if mutate != nil {
		mutate(&cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	d, err := daemon.New(cfg, "test", slog.New(slog.DiscardHandler))
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	if err := d.Start(ln); err != nil {
		t.Fatal(err)
	}
	var stopped atomic.Bool
	stop = func() {
		if stopped.Swap(true) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
	t.Cleanup(stop)
	return "http://" + cfg.Listen, stop
}

// push sends series series of one sample each to the daemon at base.
func push(t *testing.T, base string, series int) {
	t.Helper()
	var wr prompb.WriteRequest
	now := time.Now().UnixMilli()
	for i := range series {
		wr.Timeseries = append(wr.Timeseries, prompb.TimeSeries{
			Labels:  []prompb.Label{{Name: "__name__", Value: "cli_test"}, {Name: "i", Value: fmt.Sprint(i)}},
			Samples: []prompb.Sample{{Timestamp: now, Value: float64(i)}},
		})
	}
	raw, err := wr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/write", bytes.NewReader(snappy.Encode(nil, raw)))
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("push: %s", resp.Status)
	}
}

// run runs the prws command line with args and stdin, returning stdout
// and the error.
func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	app := newApp(&out, &errw)
	app.Reader = strings.NewReader(stdin)
	err := app.Run(append([]string{"prws"}, args...))
	return out.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run(t, "", args...)
	if err != nil {
		t.Fatalf("prws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// eventually polls cond every 20 ms until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
