package lockfile

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustAcquire(t *testing.T, dir string, info Info) *Lock {
	t.Helper()
	l, err := Acquire(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Release() })
	return l
}

func TestAcquireWritesInfoAndReadSeesHolder(t *testing.T) {
	dir := t.TempDir()
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	mustAcquire(t, dir, Info{Listen: "127.0.0.1:9091", Started: started})
	if _, err := os.Stat(filepath.Join(dir, "LOCK")); err != nil {
		t.Fatalf("no LOCK file: %v", err)
	}
	info, held, err := Read(dir)
	if err != nil || !held {
		t.Fatalf("Read: held=%v err=%v", held, err)
	}
	if info.PID != os.Getpid() || info.Listen != "127.0.0.1:9091" || !info.Started.Equal(started) {
		t.Fatalf("Read info = %+v", info)
	}
}

func TestSecondAcquireInSameProcessConflicts(t *testing.T) {
	dir := t.TempDir()
	mustAcquire(t, dir, Info{Listen: "127.0.0.1:9091"})
	_, err := Acquire(dir, Info{Listen: "127.0.0.1:9999"})
	var held *HeldError
	if !errors.Is(err, ErrHeld) || !errors.As(err, &held) {
		t.Fatalf("second Acquire err = %v, want *HeldError", err)
	}
	pid := fmt.Sprintf("pid %d", os.Getpid())
	if !held.Known || !strings.Contains(err.Error(), pid) || !strings.Contains(err.Error(), "127.0.0.1:9091") {
		t.Fatalf("error %q does not name the holder (%s, 127.0.0.1:9091)", err, pid)
	}
	if info, _, _ := Read(dir); info.Listen != "127.0.0.1:9091" {
		t.Fatalf("the failed Acquire overwrote the holder's record: %+v", info)
	}
}

func TestReleaseThenReacquire(t *testing.T) {
	dir := t.TempDir()
	l := mustAcquire(t, dir, Info{Listen: "a:1"})
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	info, held, err := Read(dir)
	if err != nil || held || info.Listen != "a:1" {
		t.Fatalf("after Release: info=%+v held=%v err=%v; want the stale record, not held", info, held, err)
	}
	mustAcquire(t, dir, Info{Listen: "b:2"})
	if info, held, _ := Read(dir); !held || info.Listen != "b:2" {
		t.Fatalf("after reacquire: %+v held=%v", info, held)
	}
}

func TestStaleGarbageLockFileIsTakenOver(t *testing.T) {
	dir := t.TempDir()
	garbage := strings.Repeat("not json at all ", 100)
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(garbage), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, held, err := Read(dir); held || !errors.Is(err, ErrNoInfo) {
		t.Fatalf("Read of garbage: held=%v err=%v", held, err)
	}
	mustAcquire(t, dir, Info{Listen: "c:3"})
	b, _ := os.ReadFile(filepath.Join(dir, FileName))
	if strings.Contains(string(b), "not json") {
		t.Fatalf("old content not truncated: %q", b)
	}
}

func TestHeldWithUnreadableRecord(t *testing.T) {
	dir := t.TempDir()
	mustAcquire(t, dir, Info{Listen: "d:4"})
	// Simulate a holder caught between truncate and write.
	if err := os.Truncate(filepath.Join(dir, FileName), 0); err != nil {
		t.Fatal(err)
	}
	_, held, err := Read(dir)
	if !held || !errors.Is(err, ErrNoInfo) {
		t.Fatalf("Read: held=%v err=%v; want held with ErrNoInfo", held, err)
	}
	_, err = Acquire(dir, Info{})
	var he *HeldError
	if !errors.As(err, &he) || he.Known || !strings.Contains(err.Error(), "pid unknown") {
		t.Fatalf("Acquire err = %v; want ErrHeld with an unknown holder", err)
	}
}

func TestReadMissingAndAcquireMissingDir(t *testing.T) {
	dir := t.TempDir()
	if _, held, err := Read(dir); held || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Read of missing LOCK: held=%v err=%v", held, err)
	}
	if _, err := Acquire(filepath.Join(dir, "nope"), Info{}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Acquire in missing dir: %v", err)
	}
}

func TestReadWhileHeldDoesNotStealLock(t *testing.T) {
	dir := t.TempDir()
	mustAcquire(t, dir, Info{Listen: "e:5"})
	for range 50 {
		if _, held, err := Read(dir); !held || err != nil {
			t.Fatalf("Read: held=%v err=%v", held, err)
		}
	}
	if _, err := Acquire(dir, Info{}); !errors.Is(err, ErrHeld) {
		t.Fatalf("lock lost after Reads: %v", err)
	}
}

// holderEnv makes the test binary act as a lock-holding child process.
const holderEnv = "PRWS_LOCKFILE_TEST_HOLDER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holderEnv); dir != "" {
		os.Exit(runHolder(dir))
	}
	os.Exit(m.Run())
}

// runHolder acquires dir, says "ready" and holds the lock until stdin
// closes or the process is killed.
func runHolder(dir string) int {
	if _, err := Acquire(dir, Info{Listen: "127.0.0.1:7777"}); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	return 0
}

// TestOtherProcessHoldsAndDies checks the cross-process case: the error
// names the other pid, and the kernel frees the lock when that process is
// killed, so a crash never leaves the data dir locked.
func TestOtherProcessHoldsAndDies(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holderEnv+"="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("holder: %q", line)
	}
	_, err := Acquire(dir, Info{})
	want := fmt.Sprintf("pid %d", cmd.Process.Pid)
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "127.0.0.1:7777") {
		t.Fatalf("Acquire err = %v; want ErrHeld naming %s", err, want)
	}
	if info, held, err := Read(dir); !held || err != nil || info.PID != cmd.Process.Pid {
		t.Fatalf("Read: %+v held=%v err=%v", info, held, err)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	mustAcquire(t, dir, Info{})
}

func TestConcurrentAcquireOneWinner(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	results := make(chan *Lock, n)
	for range n {
		go func() {
			l, err := Acquire(dir, Info{})
			if err != nil && !errors.Is(err, ErrHeld) {
				t.Error(err)
			}
			results <- l
		}()
	}
	winners := 0
	for range n {
		if l := <-results; l != nil {
			winners++
			t.Cleanup(func() { _ = l.Release() })
		}
	}
	if winners != 1 {
		t.Fatalf("%d concurrent Acquires succeeded, want exactly 1", winners)
	}
}
