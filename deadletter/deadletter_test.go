package deadletter

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func entry(i int) Entry {
	return Entry{
		Time:    time.Unix(1700000000, int64(i)).UTC(),
		Backend: "http://tsdb:9090/api/v1/write",
		Status:  400, Message: "out of order sample", Samples: 10 * (i + 1),
		First: uint64(i * 5), Last: uint64(i*5 + 4), Tenant: "team-a",
		Body: bytes.Repeat([]byte{byte(i), 0xff}, 100+i),
	}
}

func TestRoundTrip(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "deadletter", "b1"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := l.Write(entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	metas, err := l.List()
	if err != nil || len(metas) != 3 {
		t.Fatalf("List = %d metas, %v; want 3", len(metas), err)
	}
	for i, m := range metas {
		want := entry(i)
		if m.Corrupt != "" || m.Samples != want.Samples || m.First != want.First || m.BodyBytes != len(want.Body) {
			t.Fatalf("meta %d = %+v", i, m)
		}
		got, err := l.Read(m.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Time.Equal(want.Time) || !bytes.Equal(got.Body, want.Body) || got.Tenant != want.Tenant ||
			got.Status != want.Status || got.Message != want.Message || got.Last != want.Last || got.Backend != want.Backend {
			t.Fatalf("Read %d = %+v, want %+v", i, got, want)
		}
	}
	if err := l.Remove(metas[1].Name); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Read(metas[1].Name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Read removed = %v, want fs.ErrNotExist", err)
	}
	if err := l.Remove(metas[1].Name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Remove twice = %v, want fs.ErrNotExist", err)
	}
	st, err := l.Stats()
	if err != nil || st.Files != 2 || st.Samples != 10+30 || st.Corrupt != 0 || l.Count() != 2 {
		t.Fatalf("Stats = %+v, %v; Count = %d", st, err, l.Count())
	}
}

func TestNamesSortByTime(t *testing.T) {
	l, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	base := time.Unix(1700000000, 0)
	// Same and decreasing timestamps still get increasing, unique names.
	times := []time.Time{base.Add(time.Second), base.Add(time.Second), base, base.Add(2 * time.Second)}
	for i, tm := range times {
		e := entry(i)
		e.Time = tm
		if err := l.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	metas, _ := l.List()
	if len(metas) != len(times) {
		t.Fatalf("got %d files, want %d", len(metas), len(times))
	}
	for i, m := range metas {
		if len(m.Name) != nameLen || m.First != entry(i).First {
			t.Fatalf("meta %d = %s first %d: not in write order", i, m.Name, m.First)
		}
	}
	// Reopen continues after the highest existing name.
	l2, err := Open(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	e := entry(9)
	e.Time = base
	if err := l2.Write(e); err != nil {
		t.Fatal(err)
	}
	metas, _ = l2.List()
	if last := metas[len(metas)-1]; last.First != e.First {
		t.Fatalf("write after reopen sorted at %s, not last", last.Name)
	}
}

func TestCorruptFilesReportedAndSkipped(t *testing.T) {
	mutations := map[string]func(b []byte) []byte{
		"truncated body":   func(b []byte) []byte { return b[:len(b)-7] },
		"truncated header": func(b []byte) []byte { return b[:prefixLen+5] },
		"truncated prefix": func(b []byte) []byte { return b[:3] },
		"empty":            func(b []byte) []byte { return nil },
		"flipped body":     func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
		"flipped header":   func(b []byte) []byte { b[prefixLen+3] ^= 1; return b },
		"bad magic":        func(b []byte) []byte { b[0] = 'X'; return b },
		"trailing bytes":   func(b []byte) []byte { return append(b, 0) },
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			l, _ := Open(t.TempDir())
			for i := range 3 {
				if err := l.Write(entry(i)); err != nil {
					t.Fatal(err)
				}
			}
			metas, _ := l.List()
			path := filepath.Join(l.Path(), metas[1].Name)
			b, _ := os.ReadFile(path)
			if err := os.WriteFile(path, mutate(b), 0o640); err != nil {
				t.Fatal(err)
			}
			checkCorrupt(t, l, metas[1].Name)
		})
	}
}

// checkCorrupt asserts the broken file is reported by Read and, unless
// only its body is damaged, by List and Stats, while the others still read.
func checkCorrupt(t *testing.T, l *Log, bad string) {
	t.Helper()
	var ce *CorruptError
	if _, err := l.Read(bad); !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) || ce.Name != bad {
		t.Fatalf("Read corrupt = %v, want *CorruptError", err)
	}
	metas, err := l.List()
	if err != nil || len(metas) != 3 {
		t.Fatalf("List = %d, %v", len(metas), err)
	}
	st, _ := l.Stats()
	if metas[1].Corrupt != "" && (st.Corrupt != 1 || st.Samples != 10+30) {
		t.Fatalf("Stats = %+v, want the corrupt file skipped", st)
	}
	for _, i := range []int{0, 2} {
		if metas[i].Corrupt != "" {
			t.Fatalf("sound file %d listed corrupt: %s", i, metas[i].Corrupt)
		}
		if _, err := l.Read(metas[i].Name); err != nil {
			t.Fatalf("sound file %d: %v", i, err)
		}
	}
}

func TestTruncatedListedAsCorrupt(t *testing.T) {
	l, _ := Open(t.TempDir())
	_ = l.Write(entry(0))
	metas, _ := l.List()
	path := filepath.Join(l.Path(), metas[0].Name)
	if err := os.Truncate(path, metas[0].FileBytes-1); err != nil {
		t.Fatal(err)
	}
	metas, _ = l.List()
	if metas[0].Corrupt == "" {
		t.Fatal("truncated file not listed as corrupt")
	}
}

func TestOpenCleansTempKeepsUnknown(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, tmpPrefix+formatName(5))
	unknown := filepath.Join(dir, "README")
	for _, p := range []string{tmp, unknown} {
		if err := os.WriteFile(p, []byte("x"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("temporary file left behind")
	}
	if _, err := os.Stat(unknown); err != nil {
		t.Fatal("unknown file removed")
	}
	if l.Count() != 0 {
		t.Fatalf("Count = %d, want 0", l.Count())
	}
}

func TestBadNames(t *testing.T) {
	l, _ := Open(t.TempDir())
	for _, n := range []string{"", "../x.dl", "00000000000000000001.dl/../../etc", "0000000000000000000a.dl", formatName(1) + "x"} {
		if _, err := l.Read(n); !errors.Is(err, ErrBadName) {
			t.Fatalf("Read(%q) = %v, want ErrBadName", n, err)
		}
		if err := l.Remove(n); !errors.Is(err, ErrBadName) {
			t.Fatalf("Remove(%q) = %v, want ErrBadName", n, err)
		}
	}
}

func TestMessageTruncated(t *testing.T) {
	l, _ := Open(t.TempDir())
	e := entry(0)
	e.Message = strings.Repeat("é", MaxMessage) // 2 bytes each
	_ = l.Write(e)
	metas, _ := l.List()
	if n := len(metas[0].Message); n > MaxMessage || n < MaxMessage-1 || !strings.HasPrefix(e.Message, metas[0].Message) {
		t.Fatalf("message kept %d bytes", n)
	}
}

func TestConcurrentWrites(t *testing.T) {
	l, _ := Open(t.TempDir())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			e := entry(i)
			e.Time = time.Unix(1, 0) // all collide
			if err := l.Write(e); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	metas, _ := l.List()
	var firsts []uint64
	for _, m := range metas {
		firsts = append(firsts, m.First)
	}
	slices.Sort(firsts)
	if len(slices.Compact(firsts)) != 8 {
		t.Fatalf("got %d distinct dead letters, want 8", len(firsts))
	}
}
