package chaos

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/prws/prws/config"
	"github.com/prws/prws/internal/testenv"
)

// TestOutageOrder: backend b is down for the whole load while a works;
// when b returns its backlog drains with per-series order kept on both.
func TestOutageOrder(t *testing.T) {
	r := &row{Scenario: "backend down whole run", Injected: "b answers 503 during all the load"}
	report(t, r)
	a, b := newBackend(t), newBackend(t)
	b.Set(testenv.Status(http.StatusServiceUnavailable, ""))
	w := newWorld(t, 2, a, b)
	in := startDaemon(t, w, t.TempDir(), func(c *config.Config) { c.Batch = 300 })
	l := newLoad(in.url, 500, 50)
	stop := l.Run(1, 0) // one sender: acknowledgment order is timestamp order
	time.Sleep(pick(3*time.Second, 20*time.Second))
	stop()
	down := b.Requests()
	b.Set(nil)
	tl := w.drain(t, l, 60*time.Second, r)
	if tl.regress != 0 {
		t.Errorf("%d samples arrived older than their series' last", tl.regress)
	}
	l.CheckUnexpected(t)
	r.Note = fmt.Sprintf("%d refused attempts while down; order regressions %d", down, tl.regress)
}
