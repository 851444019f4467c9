package powerfs

import (
	"os"
	"path/filepath"
	"testing"
)

// benchmarkAppend appends size-byte records to a file on the mount,
// fsyncing every syncEvery records (never if 0), starting a new file every
// 4 MiB as a write-ahead log does.
func benchmarkAppend(b *testing.B, size, syncEvery int) {
	dir, _ := MountT(b)
	rec := make([]byte, size)
	b.SetBytes(int64(size))
	var f *os.File
	defer func() { f.Close() }()
	for i := 0; i < b.N; i++ {
		if i%(4<<20/size) == 0 {
			if f != nil {
				f.Close()
			}
			var err error
			f, err = os.Create(filepath.Join(dir, "seg"+string(rune('a'+i%26))))
			if err != nil {
				b.Fatal(err)
			}
		}
		if _, err := f.Write(rec); err != nil {
			b.Fatal(err)
		}
		if syncEvery > 0 && i%syncEvery == 0 {
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkAppend64KiB(b *testing.B)          { benchmarkAppend(b, 64<<10, 0) }
func BenchmarkAppend64KiBFsyncEach(b *testing.B) { benchmarkAppend(b, 64<<10, 1) }
func BenchmarkAppend4KiBFsyncEach(b *testing.B)  { benchmarkAppend(b, 4<<10, 1) }

// BenchmarkPowerCut cuts the power of a disk holding 64 files of 1 MiB.
func BenchmarkPowerCut(b *testing.B) {
	dir, fs := MountT(b)
	data := make([]byte, 1<<20)
	for i := 0; i < 64; i++ {
		p := filepath.Join(dir, "f"+string(rune('A'+i)))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		f, _ := os.OpenFile(p, os.O_WRONLY, 0)
		f.Sync()
		f.Close()
	}
	d, _ := os.Open(dir)
	d.Sync()
	d.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := fs.PowerCut(); err != nil {
			b.Fatal(err)
		}
	}
}
