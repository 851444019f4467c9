package e2e

import (
	"syscall"
	"testing"
	"time"

	"github.com/prws/prws/internal/testenv"
)

// proc is a prws process started from the binary.
type proc struct {
	*testenv.Proc
	url string
}

// startBinary runs prws with args on listen and waits until it is ready.
func startBinary(t *testing.T, listen string, args ...string) *proc {
	t.Helper()
	bin, err := testenv.BuildPrws()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{url: "http://" + listen + "/api/v1/receive"}
	p.Proc = testenv.StartProc(t, bin, append([]string{"run", "--listen", listen}, args...)...)
	if !testenv.WaitReady(listen, p.Proc, 15*time.Second) {
		t.Fatalf("prws not ready within 15s (or exited during start-up):\n%s", p.Log.String())
	}
	return p
}

// term sends SIGTERM and waits (bounded) for a clean exit.
func (p *proc) term(t *testing.T) {
	t.Helper()
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Done():
		if !p.Cmd.ProcessState.Success() {
			t.Errorf("prws exited with %v after SIGTERM:\n%s", p.Cmd.ProcessState, p.Log.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("prws did not exit within 20s of SIGTERM:\n%s", p.Log.String())
	}
}
