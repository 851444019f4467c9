// Package deadletter keeps the batches a backend refused for good (a 4xx
// other than 401, 403, 408 and 429) so that an operator can inspect,
// replay or purge them instead of losing them silently.
//
// # Layout
//
// One Log per backend, in DATA/deadletter/<backend-id>/ (see Dir). Each
// dead letter is one file named by a fixed-width, zero-padded unix-nano
// timestamp ("%020d.dl"), so lexical order is time order. A file holds a
// 16-byte prefix (magic, header length, header CRC-32C), a JSON header
// (Meta without the derived fields, plus the body length and CRC-32C) and
// the uncompressed remote-write WriteRequest body.
//
// # Guarantees
//
// Write returns only after the file is complete on disk: it is written to a
// hidden temporary file, fsynced, renamed into place and the directory is
// fsynced. A reader therefore sees a dead letter entirely or not at all.
// A file that is torn or corrupt anyway (disk fault, manual truncation) is
// reported — List marks it Corrupt, Read returns a *CorruptError — never a
// crash, and it is never removed except by Remove. Temporary files left by
// a crash are deleted by Open; unknown files are left alone.
//
// # Concurrency
//
// A Log is safe for concurrent use by the goroutines of one process (the
// shard workers of one backend share it). Other processes — the prws CLI
// listing or purging the dead letters of a running daemon — rely only on
// rename atomicity: they never see a half-written file, and a file removed
// by one side is simply gone for the other (Read returns an error wrapping
// fs.ErrNotExist). Name uniqueness is guaranteed within the process that
// writes; only the daemon writes.
package deadletter
