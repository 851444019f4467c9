package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRingShowsRelabeling: with --config.file, `prws ring` applies the
// global and per-backend rules as the daemon does and says so.
func TestRingShowsRelabeling(t *testing.T) {
	file := filepath.Join(t.TempDir(), "prws.yml")
	if err := os.WriteFile(file, []byte(`relabel_configs:
  - {source_labels: [mode], regex: m4, action: drop}
backends:
  - url: http://a:9090/api/v1/write
    write_relabel_configs: [{source_labels: [job], regex: 'node.*', action: drop}]
  - url: http://b:9090/api/v1/write
    write_relabel_configs: [{source_labels: [job], regex: 'node.*', action: keep}, {regex: instance, action: labeldrop}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "up{job=\"api\"}\n", "ring", "--config.file", file, "--replica_factor", "2",
		`up{job="node",instance="x"}`, `up{job="api",mode="m4"}`)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "RELABELING") {
		t.Fatalf("output:\n%s", out)
	}
	node, m4 := lines[1], lines[2]
	if !strings.Contains(node, " http://b:9090/api/v1/write ") || strings.Contains(node, "a:9090/api/v1/write  ") ||
		!strings.Contains(node, `gets {__name__="up", job="node"}`) || !strings.Contains(node, "http://a:9090/api/v1/write: dropped") {
		t.Errorf("node series: %q", node)
	}
	if !strings.Contains(m4, "dropped by relabel_configs") {
		t.Errorf("m4 series: %q", m4)
	}
}
