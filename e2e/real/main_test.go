//go:build linux

package real

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// binDir holds the prws binary built for this package run; TestMain
// creates and removes it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "prws-real-bin-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildErr  error
	buildOut  []byte
)

// prwsBinary builds the prws binary once per package run (without -race:
// the flag is for the test binary, not for the servers it starts) and
// returns its path. It fails the test when the build fails.
func prwsBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(binDir, "prws")
	buildOnce.Do(func() {
		cmd := exec.Command("go", "build", "-o", bin, "github.com/prws/prws")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building prws: %v\n%s", buildErr, buildOut)
	}
	return bin
}

// needBinaries skips the test under -short or when one of the servers is
// not installed, and returns their paths in the order asked.
func needBinaries(t *testing.T, names ...string) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping the real-server test (about 30 s)")
	}
	paths := make([]string, len(names))
	for i, n := range names {
		p, err := exec.LookPath(n)
		if err != nil {
			t.Skipf("%s is not installed (apt-get install %s): skipping the real-server test", n, n)
		}
		paths[i] = p
	}
	return paths
}
