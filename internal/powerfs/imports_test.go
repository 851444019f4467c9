package powerfs

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyTestsImportPowerfs keeps the simulator out of every binary: no
// non-test package of the module may import it.
func TestOnlyTestsImportPowerfs(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}: {{join .Imports \" \"}}", "github.com/prws/prws/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const self = "github.com/prws/prws/internal/powerfs"
	for _, line := range strings.Split(string(out), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		for _, imp := range strings.Fields(imports) {
			if imp == self {
				t.Errorf("%s imports %s; only _test.go files may", pkg, self)
			}
		}
	}
}
