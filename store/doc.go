// Package store is prws' small transactional state file, DATA/state.db,
// built on bbolt.
//
// It holds what must survive a restart but is not sample data: the backend
// registry (which queue directory belongs to which redacted URL), and the
// buckets of other components — the series limiter's windows, watchdog
// state — through the generic Update and View.
//
// # Concurrency
//
// A *Store is safe for concurrent use. bbolt allows one read-write
// transaction at a time (Update calls are serialized) and any number of
// read-only ones running alongside it (View). A function passed to Update
// or View must not call back into the Store and must not keep the
// *bbolt.Bucket, nor any key or value slice, after it returns: bbolt's
// memory is only valid inside the transaction (copy what you keep).
//
// Only one process may open the file: bbolt takes an flock, and Open gives
// up after Options.LockTimeout with ErrLocked instead of hanging.
//
// # Durability
//
// Each Update is one transaction, committed with an fsync before Update
// returns: after a nil return the change survives a crash, after an error
// nothing of it is visible. An fsync costs milliseconds, so callers batch
// many changes into one Update rather than calling it per series.
//
// # What it does not do
//
// A file that is not a valid bbolt database makes Open fail with ErrCorrupt;
// it is never recreated or repaired silently — the operator decides. (An
// empty, zero-length file holds nothing and is initialized.) A file written
// by a newer prws format is refused with ErrNewerFormat. Open checks the
// file's header pages, not every page: damage deep inside the tree is only
// found by bbolt when a transaction reaches it.
package store
