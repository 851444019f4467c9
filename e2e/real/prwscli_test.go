//go:build linux

package real

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// queueStatus is the part of `prws queues --json` the tests read.
type queueStatus struct {
	Backend        string `json:"backend"`
	Shard          int    `json:"shard"`
	PendingSamples uint64 `json:"pending_samples"`
	DeadLetters    int    `json:"dead_letters"`
	LastError      string `json:"last_error"`
}

// queues runs `prws queues --json` on the stack's data dir (the CLI asks
// the running daemon).
func (st *stack) queues() ([]queueStatus, error) {
	out, err := st.runPrws(nil, "queues", "--data-dir", filepath.Join(st.dir, "prws"), "--json")
	if err != nil {
		return nil, err
	}
	return flattenQueues(out)
}

// flattenQueues turns `prws queues --json` (per backend, its shards
// under it) into one queueStatus per shard, each carrying the fields of
// its backend and its own.
func flattenQueues(out []byte) ([]queueStatus, error) {
	var view struct {
		Backends []json.RawMessage `json:"backends"`
	}
	if err := json.Unmarshal(out, &view); err != nil {
		return nil, fmt.Errorf("prws queues --json: %w: %.300s", err, out)
	}
	var qs []queueStatus
	for _, raw := range view.Backends {
		var b queueStatus
		var shards struct {
			Shards []json.RawMessage `json:"shards"`
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &shards); err != nil {
			return nil, err
		}
		for _, sraw := range shards.Shards {
			q := b
			if err := json.Unmarshal(sraw, &q); err != nil {
				return nil, err
			}
			qs = append(qs, q)
		}
	}
	return qs, nil
}

// pending sums the pending samples of b's queues.
func (st *stack) pending(b *server) (uint64, error) {
	qs, err := st.queues()
	if err != nil {
		return 0, err
	}
	var n uint64
	found := false
	for _, q := range qs {
		if strings.Contains(q.Backend, b.addr) {
			n += q.PendingSamples
			found = true
		}
	}
	if !found {
		return 0, fmt.Errorf("prws queues lists no queue of %s", b.addr)
	}
	return n, nil
}

// ring runs `prws ring` with the daemon's flags on the series keys and
// returns, per key, the indexes (into st.backends) of the backends it
// routes to.
func (st *stack) ring(keys []string) (map[string][]int, error) {
	in := strings.Join(keys, "\n") + "\n"
	out, err := st.runPrws(strings.NewReader(in), append([]string{"ring"}, st.ringFlags()...)...)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(keys)+1 {
		return nil, fmt.Errorf("prws ring: %d lines for %d series", len(lines), len(keys))
	}
	res := make(map[string][]int, len(keys))
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 3 {
			return nil, fmt.Errorf("prws ring: bad line %q", l)
		}
		for _, name := range strings.Split(f[len(f)-1], ",") {
			idx := st.backendIndex(name)
			if idx < 0 {
				return nil, fmt.Errorf("prws ring: unknown backend %q in %q", name, l)
			}
			res[keys[i]] = append(res[keys[i]], idx)
		}
	}
	return res, nil
}

// backendIndex finds the backend whose address a (redacted) URL names.
func (st *stack) backendIndex(name string) int {
	for i, b := range st.backends {
		if strings.Contains(name, "//"+b.addr+"/") {
			return i
		}
	}
	return -1
}

// runPrws runs the prws binary (30 s at most) and returns its stdout.
func (st *stack) runPrws(stdin io.Reader, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, st.prwsBin, args...)
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("prws %s: %w: %s", args[0], err, stderr.String())
	}
	return out, nil
}
