// Package fsutil holds the two file-system moves every durable write in
// prws is built from: replacing a file atomically and making a directory
// entry durable. Functions keep no state and are safe for concurrent use
// on different paths.
package fsutil

import (
	"os"
	"path/filepath"
)

// SyncDir fsyncs a directory so that a create, rename or remove in it
// survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteFileAtomic replaces path with data: it writes path+tmpSuffix,
// fsyncs it, renames it over path and fsyncs the directory. A crash
// leaves either the old file or the new one, plus at worst a stale temp
// file that start-up code may remove. On error the temp file is removed.
func WriteFileAtomic(path, tmpSuffix string, data []byte, perm os.FileMode) error {
	tmp := path + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// MkdirDurable makes dir, and every missing parent, and makes their names
// durable: once it returns nil, a power cut loses neither dir nor any
// directory from top down to it. It fsyncs the parent of every directory
// from dir up to top, whether or not this call created it, since an
// earlier process may have created one and crashed before its parent
// reached the disk. top must be dir or one of its ancestors; the parent
// of top is fsynced too. perm is used for the directories it creates.
func MkdirDurable(dir, top string, perm os.FileMode) error {
	if err := os.MkdirAll(dir, perm); err != nil {
		return err
	}
	dir, top = filepath.Clean(dir), filepath.Clean(top)
	for d := dir; ; d = filepath.Dir(d) {
		if err := SyncDir(filepath.Dir(d)); err != nil {
			return err
		}
		if d == top || filepath.Dir(d) == d {
			return nil
		}
	}
}
