package chaos

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prws/prws/internal/testenv"
)

// mountSmall mounts a size-limited filesystem at a fresh directory and
// returns it; it skips t when the privileged step fails.
func mountSmall(t *testing.T, size string) string {
	t.Helper()
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a %s tmpfs (needs root): %v %s", size, err, out)
	}
	t.Cleanup(func() { unmount(mnt) })
	return mnt
}

// fill writes a file in dir until the filesystem is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for i := 0; i < 1<<16; i++ {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	// 4 KiB pages may remain; take them too.
	for i := 0; i < 1<<10; i++ {
		if _, err := f.Write(chunk[:512]); err != nil {
			break
		}
	}
	return path
}

// TestDiskFull: the data dir is on an 8 MiB tmpfs. While it is full,
// ingest answers 503 with Retry-After (never 2xx, never 429) and does not
// crash; once space is freed, ingest resumes without a restart and
// nothing acknowledged is lost.
func TestDiskFull(t *testing.T) {
	r := &row{Scenario: "disk full", Injected: "8 MiB tmpfs filled, then freed"}
	report(t, r)
	runDiskFull(t, r, mountSmall(t, "8m"))
}

// TestDiskFullExt4: the same on a 24 MiB ext4 image mounted on a loop
// device, where delayed allocation can turn a full disk into an fsync
// error rather than a write error.
func TestDiskFullExt4(t *testing.T) {
	r := &row{Scenario: "disk full (ext4 loop)", Injected: "24 MiB ext4 image filled, then freed"}
	report(t, r)
	runDiskFull(t, r, mountExt4(t, "24M"))
}

// mountExt4 makes an ext4 image of size in a temporary directory, mounts
// it on a loop device and returns the mount point; it skips t when
// truncate, mkfs.ext4, losetup or mount fail. Cleanup unmounts it and
// detaches the loop device.
func mountExt4(t *testing.T, size string) string {
	t.Helper()
	img, mnt := filepath.Join(t.TempDir(), "fs.img"), t.TempDir()
	for _, c := range [][]string{{"truncate", "-s", size, img}, {"mkfs.ext4", "-q", "-F", img}} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Skipf("cannot make an ext4 image (%s): %v %s", c[0], err, out)
		}
	}
	out, err := exec.Command("losetup", "--find", "--show", img).CombinedOutput()
	if err != nil {
		t.Skipf("cannot attach a loop device (needs root and /dev/loop*): %v %s", err, out)
	}
	loop := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", loop).Run() })
	if out, err := exec.Command("mount", "-t", "ext4", loop, mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount %s on %s: %v %s", loop, mnt, err, out)
	}
	t.Cleanup(func() { unmount(mnt) })
	return mnt
}

// unmount unmounts mnt, retrying while a process still holds it, lazily
// as a last resort.
func unmount(mnt string) {
	for i := 0; i < 50; i++ {
		if exec.Command("umount", mnt).Run() == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	exec.Command("umount", "-l", mnt).Run()
}

// runDiskFull is the disk-full scenario on the filesystem mounted at mnt.
func runDiskFull(t *testing.T, r *row, mnt string) {
	a, b := newBackend(t), newBackend(t)
	b.Set(testenv.Status(http.StatusServiceUnavailable, ""))
	w := newWorld(t, 2, a, b)
	dir, listen := filepath.Join(mnt, "data"), testenv.FreeAddr(t)
	args := []string{"--data-dir", dir, "--promes", w.promes(), "--queue-segment-bytes", "262144",
		"--remote_write_min_wait", "10ms", "--remote_write_max_wait", "100ms"}
	p := startProc(t, listen, args...)
	l := newLoad(p.url, 2000, 100)
	for i := 0; i < 100; i++ {
		l.One(p.url)
	}
	filler := fill(t, mnt)
	full := map[int]int{}
	var noRetryAfter int
	for i := 0; i < 200; i++ {
		code, hdr := l.OneHeader()
		full[code]++
		if code == http.StatusServiceUnavailable && hdr.Get("Retry-After") == "" {
			noRetryAfter++
		}
	}
	if full[http.StatusTooManyRequests] > 0 || full[http.StatusInternalServerError] > 0 {
		t.Errorf("answers while the disk is full: %v", full)
	}
	if full[http.StatusServiceUnavailable] == 0 {
		t.Errorf("no 503 while the disk is full: %v", full)
	}
	if noRetryAfter > 0 {
		t.Errorf("%d 503 answers without Retry-After", noRetryAfter)
	}
	if code := p.exited(0); code != -1 {
		t.Fatalf("prws exited (%d) on a full disk:\n%s", code, p.Log.String())
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	var resumed time.Duration = -1
	freed := time.Now()
	for i := 0; i < 200; i++ {
		if code, _ := l.OneHeader(); code == http.StatusNoContent {
			resumed = time.Since(freed)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resumed < 0 {
		t.Fatalf("ingest did not resume after space was freed:\n%s", p.Log.String())
	}
	for i := 0; i < 50; i++ {
		l.One(p.url)
	}
	b.Set(nil)
	w.drain(t, l, 30*time.Second, r)
	l.CheckUnexpected(t)
	r.Note = fmt.Sprintf("answers while full %v; resumed %v after freeing; retired logs %v; corrupt %v", full,
		resumed.Round(time.Millisecond), p.metric(t, "prws_queue_retired_logs_total"), p.metric(t, "prws_queue_corrupt_records_total"))
}

// TestWriteErrorFsize: prws runs under RLIMIT_FSIZE (SIGXFSZ ignored), so
// a segment write fails with EFBIG. The failing request is not
// acknowledged, the log is retired and reopened, the process survives;
// after a restart without the limit everything acknowledged arrives.
func TestWriteErrorFsize(t *testing.T) {
	r := &row{Scenario: "write error (RLIMIT_FSIZE)", Injected: "file size limit 256 KiB, 4 MiB segments"}
	report(t, r)
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("prlimit(1) not installed")
	}
	a := newBackend(t)
	a.Set(testenv.Status(http.StatusServiceUnavailable, ""))
	w := newWorld(t, 1, a)
	dir, listen := t.TempDir(), testenv.FreeAddr(t)
	args := []string{"--data-dir", dir, "--promes", w.promes(), "--shard", "1",
		"--remote_write_min_wait", "10ms", "--remote_write_max_wait", "100ms"}
	// sh ignores SIGXFSZ; the ignored disposition survives exec.
	wrap := []string{"prlimit", "--fsize=262144", "--", "sh", "-c", `trap "" XFSZ; exec "$0" "$@"`}
	p := startWrapped(t, listen, wrap, args...)
	l := newLoad(p.url, 1000, 100)
	codes := map[int]int{}
	for i := 0; i < 400; i++ {
		codes[l.One(p.url)]++
	}
	if code := p.exited(0); code != -1 {
		t.Fatalf("prws died (exit %d, %v) under RLIMIT_FSIZE:\n%s", code, p.Cmd.ProcessState, p.Log.String())
	}
	retired := p.metric(t, "prws_queue_retired_logs_total")
	if codes[http.StatusServiceUnavailable] == 0 {
		t.Errorf("no request failed under a 256 KiB file size limit: %v", codes)
	}
	if retired < 1 {
		t.Errorf("retired logs: %v, want >= 1", retired)
	}
	logHas := strings.Contains(p.Log.String(), "file too large")
	p.Kill()
	a.Set(nil)
	startProc(t, listen, args...)
	w.drain(t, l, 30*time.Second, r)
	l.CheckUnexpected(t)
	r.Note = fmt.Sprintf("answers %v; retired logs %v; EFBIG logged %v", codes, retired, logHas)
}
