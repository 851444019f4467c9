package powerfs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentWritersThenCut: goroutines append and fsync their own
// files at once; after a cut each file holds exactly what was synced.
func TestConcurrentWritersThenCut(t *testing.T) {
	dir, fs := MountT(t)
	const writers, records = 4, 200
	synced := make([]string, writers)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		p := filepath.Join(dir, fmt.Sprint("w", w))
		durableFile(t, p, "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			synced[w] = appendRecords(t, p, w, records)
		}()
	}
	wg.Wait()
	cut(t, fs)
	for w := 0; w < writers; w++ {
		wantContent(t, filepath.Join(dir, fmt.Sprint("w", w)), synced[w])
	}
}

// appendRecords appends records, fsyncing after every third, and returns
// the content as of the last fsync.
func appendRecords(t *testing.T, path string, w, n int) string {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer f.Close()
	var all strings.Builder
	synced := ""
	for i := 0; i < n; i++ {
		rec := fmt.Sprintf("writer %d record %d %s\n", w, i, strings.Repeat("x", i))
		all.WriteString(rec)
		if _, err := f.WriteString(rec); err != nil {
			t.Error(err)
			return synced
		}
		if i%3 == 0 {
			if err := f.Sync(); err != nil {
				t.Error(err)
				return synced
			}
			synced = all.String()
		}
	}
	return synced
}
