package powerfs

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Child processes run TestChildProcess with these variables set. Work that
// mmaps files on the mount must run in a child: see the package doc.
const (
	childRoleEnv = "POWERFS_TEST_CHILD_ROLE"
	childDirEnv  = "POWERFS_TEST_CHILD_DIR"
)

// startChild starts this test binary as a child in role on dir and waits
// until it prints "ready ..."; it returns the rest of that line. The
// child is killed (SIGKILL) and reaped at the end of the test.
func startChild(t *testing.T, role, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$")
	cmd.Env = append(os.Environ(), childRoleEnv+"="+role, childDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kill(cmd) })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if info, ok := strings.CutPrefix(sc.Text(), "ready"); ok {
			return cmd, strings.TrimSpace(info)
		}
	}
	kill(cmd)
	t.Fatalf("child %s ended before it was ready: %v", role, sc.Err())
	return nil, ""
}

// kill kills a child with SIGKILL and reaps it.
func kill(cmd *exec.Cmd) {
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// TestChildProcess is the body of the child processes of the tests here;
// it does nothing unless started by startChild.
func TestChildProcess(t *testing.T) {
	role, dir := os.Getenv(childRoleEnv), os.Getenv(childDirEnv)
	if role == "" {
		t.Skip("runs only as a child process of the power-cut tests")
	}
	var info string
	switch role {
	case "writer":
		writer(t, dir)
	case "bolt-commit", "bolt-commit-no-dir-sync", "bolt-count":
		info = boltChild(t, role, dir)
	default:
		t.Fatalf("unknown role %q", role)
	}
	fmt.Println("ready", info)
	time.Sleep(time.Minute) // until killed
}

// writer leaves data in every state a power cut distinguishes.
func writer(t *testing.T, dir string) {
	p := filepath.Join(dir, "f")
	durableFile(t, p, "synced")
	appendTo(t, p, "+unsynced", false)
	write(t, filepath.Join(dir, "fresh"), "fsynced, name not", true)
}

// TestKilledWriterThenPowerCut runs a writer process on the mount, kills it
// with SIGKILL (which loses nothing: the data is in the file system) and
// then cuts the power (which loses what it did not make durable).
func TestKilledWriterThenPowerCut(t *testing.T) {
	dir, fs := MountT(t)
	cmd, _ := startChild(t, "writer", dir)
	kill(cmd)
	p, fresh := filepath.Join(dir, "f"), filepath.Join(dir, "fresh")
	wantContent(t, p, "synced+unsynced")
	wantContent(t, fresh, "fsynced, name not")
	cut(t, fs)
	wantContent(t, p, "synced")
	wantGone(t, fresh)
}
