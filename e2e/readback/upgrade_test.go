package readback

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prws/prws/internal/testenv"
)

// prevFixture is a data dir written by the release before start
// timestamps were kept (queue records without FlagStart, metadata on
// shard 0): prws at replica factor 2 over four shards, its two backends
// (prevBackends) down, after sendV1 and sendV2 of the data set at
// prevBase. TestWritePrevFixture rewrites it.
const (
	prevFixture = "testdata/prev-release"
	prevBase    = int64(1764720000000) // 2025-12-03T00:00:00Z
)

var prevBackends = []string{"http://127.0.0.1:1/api/v1/write", "http://127.0.0.1:2/api/v1/write"}

// A queue written by the previous release drains unchanged into the new
// one: every backend gets what that release had queued, equal to what a
// 1.0 sender writing directly stores (that release kept no start
// timestamps), for 1.0 and 2.0 backends alike.
func TestPrevReleaseQueueDrains(t *testing.T) {
	for _, proto := range []string{"v1", "v2"} {
		t.Run(proto, func(t *testing.T) {
			bs := []*backend{newBackend(t, "upgraded a"), newBackend(t, "upgraded b")}
			data := filepath.Join(t.TempDir(), "data")
			copyTree(t, prevFixture, data)
			bin, err := testenv.BuildPrws()
			if err != nil {
				t.Fatal(err)
			}
			for i, b := range bs {
				out, err := exec.Command(bin, "queues", "move", "--to", b.url(), "--data-dir", data, prevBackends[i]).CombinedOutput()
				if err != nil {
					t.Fatalf("queues move: %v\n%s", err, out)
				}
			}
			startPrwsOn(t, data, proto, bs...)
			refV1, refV2as1 := newBackend(t, "direct 1.0"), newBackend(t, "direct 1.0 form of 2.0 input")
			sendV1(t, refV1.url(), withoutST(dataSet("v1", prevBase)))
			sendV2AsV1(t, refV2as1.url(), dataSet("v2", prevBase))
			for _, c := range []*combo{{input: "v1", proto: proto, ref: refV1}, {input: "v2", proto: proto, ref: refV2as1}} {
				c.want = readBack(t, c.ref, c.input, prevBase)
				for _, g := range bs {
					got := waitEqualBy(t, c, g, prevBase, withoutTypeAndUnit)
					if n, w := got.count(0), c.want.count(0); n.floats != w.floats || n.histograms != w.histograms || n.exemplars != w.exemplars {
						t.Errorf("%s input, %s: %+v, want %+v", c.input, g.name, n, w)
					}
				}
			}
		})
	}
}

// TestWritePrevFixture rewrites prevFixture with the prws binary named by
// PRWS_PREV_BINARY (built from the previous release); skipped without it.
func TestWritePrevFixture(t *testing.T) {
	bin := os.Getenv("PRWS_PREV_BINARY")
	if bin == "" {
		t.Skip("set PRWS_PREV_BINARY to a prws binary of the previous release to rewrite " + prevFixture)
	}
	data := filepath.Join(t.TempDir(), "data")
	listen := testenv.FreeAddr(t)
	p := testenv.StartProc(t, bin, "run", "--listen", listen, "--data-dir", data, "--promes", strings.Join(prevBackends, ","),
		"--replica_factor", "2", "--shard", "4", "--batch", "20")
	waitReady(t, p, listen)
	url := "http://" + listen + "/api/v1/receive"
	sendV1(t, url, withoutST(dataSet("v1", prevBase)))
	sendV2(t, url, dataSet("v2", prevBase), false)
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("prws did not stop")
	}
	os.Remove(filepath.Join(data, "LOCK"))
	if err := os.RemoveAll(prevFixture); err != nil {
		t.Fatal(err)
	}
	copyTree(t, data, prevFixture)
}

// copyTree copies the directory tree src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
