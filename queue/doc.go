// Package queue is prws' durable FIFO: one on-disk queue per (backend,
// shard), built on github.com/tidwall/wal (v1.2.1 with the patches of
// third_party/tidwall-wal: durable names, no write after a failure, no
// segment data in memory).
//
// # Records
//
// Every wal entry holds one record wrapped in a versioned envelope (see
// EncodeRecord): magic, version, kind, flags, a CRC-32C, the record's own
// wal index, the append time, its sample count and the queue's cumulative
// sample count. A record whose envelope does not check out is skipped and
// counted (Stats.Corrupt, the corrupt-records metric); it is never
// delivered and never crashes the process.
//
// Submit stores a payload of 256 bytes or more as one snappy block when
// that makes it smaller (remote-write series shrink about 5-8×): envelope
// version 2 with FlagSnappy, the payload length and the CRC taken over the
// compressed bytes. A caller may compress the payload itself with Compress
// and pass the block as Record.Block, or Record.Raw when it does not
// compress (ingest does, outside the queue lock and once for several
// queues); Submit then stores that block, or the payload as is, without
// compressing again. Smaller
// or incompressible payloads keep the version 1
// envelope, byte for byte the format of earlier releases, and both
// versions are read, so an existing queue drains unchanged and a queue
// may mix them. NextBatch joins the records' stored blocks into one snappy
// block, Batch.Snappy, ready to send: no record is decompressed or
// compressed again (join.go), and an uncompressed payload goes in as one
// literal. A block whose length header is impossible is skipped and
// counted like any corrupt record; its elements are covered by the CRC
// and not inspected. Batch.AppendBody decompresses a batch for the few
// that need it (remote-write 2.0 conversion, dead letters). A prws built before version
// 2 skips version 2 records as corrupt: drain a queue before downgrading.
//
// A record of KindSeriesST (series of a remote-write 2.0 request with
// start timestamps, kept in the 2.0 field numbers that 1.0 decoders skip
// as unknown) is stored as KindSeries with FlagStart, in either envelope
// version, and a batch holding one says so (Batch.StartTimestamps). A
// release that predates the flag delivers such records as plain series:
// after a downgrade the start timestamps are lost, nothing else.
//
// # Write side
//
// Submit and Append are safe for concurrent use. Records submitted while a
// group is being fsynced form the next group: one writer goroutine per
// queue writes a whole group with one wal.WriteBatch (one fsync) and only
// then reports success to every submitter. Queues that share a
// CommitCycle (Options.CommitCycle; the daemon gives all of its queues
// one) write in cycles: a queue with a group waits until the commits in
// progress of every queue of the cycle are over, then writes together
// with the others that waited. A request whose series went to N queues
// waits for all N fsyncs anyway; without the cycle each queue would
// start its next fsync as soon as its own returned, for the few records
// that arrived meanwhile, and the fsyncs (about 150-200 µs of CPU each on
// a small VM) would multiply with the queues.
//
// Queues that share a Journal (Options.Journal; the daemon gives all of
// its queues one unless --queue-commit-journal=false) fsync neither their
// wal per group: they commit in the journal's cycles (as with a
// CommitCycle, which they then do not use): each queue of a cycle writes
// its group into its wal and hands the same entries to the journal, and
// the last one to do so writes every group of the cycle with one write
// and one fsync of the journal. A request whose series went to N queues
// then costs one fsync, not N, and an fsync costs about the same CPU
// whatever its size. A cycle with only one or two queues' groups skips
// the journal: those queues fsync their own wals, at once, which makes
// everything they wrote before durable too (below three the journal
// would save at most one fsync for a second copy of the data). The queues' wals are fsynced once a second by the
// journal's checkpoint, after which the journal files written before it
// are removed; at start, and when a queue reopens a failed log, the
// records of the journal's last run for that queue are written into its
// wal again (journal.go, journalframe.go). When the journal cannot be
// written, a group is fsynced in its own wal instead.
//
// A write or fsync error fails the
// group (and the one forming) and retires the wal instance; a wal that saw
// an error is never written again. The writer goroutine then reopens the
// log from disk (repair, open, bounds: a read of the whole backlog)
// without holding mu, so meanwhile a Submit fails at once with the error
// instead of waiting; a failed reopen is tried again when the next Submit
// wakes the writer.
//
// # Locks
//
// A Queue has six mutexes, plus the corrupt-record log's. When two are
// held together they are taken in this order, top first (a TryLock may
// break the order: it never waits):
//
//	budget.dropMu  serialises DropOldest's makeRoom calls
//	budget.formMu  held by Consumer.NextBatch for the whole call; makeRoom only tries it
//	truncMu        one truncation, drop or log reopen at a time; lastTrunc
//	curMu          the replay cursor: cur, saved, cumAcked, cursor file, budget.kept
//	mu             the commit state: forming group, next index, durable, brokenErr, closed
//	readMu         every use of wlog but the writer's WriteBatch (the wal's read window)
//	skipLog.mu     the corrupt-record log's rate limit; a leaf, taken alone
//
// mu is the submit lock: Submit holds it only to encode its records into
// the forming group, and nothing that reads the backlog (repair, reopen,
// truncation, drop measurement, Stats' oldest record) runs under it. wlog
// is assigned only with both mu and readMu held, so either suffices to
// read it.
//
// # Durable names
//
// A nil from Submit means more than fsynced data: every name the records
// live under is durable too. Open creates the queue directory with its
// parent fsynced (fsutil.MkdirDurable), the cursor file with its directory
// fsynced, and the patched wal fsyncs the directory under its own lock
// whenever it creates a segment file (a new log, a segment cycle, the new
// tail of an Open) and around every truncation's rename and removals,
// before the call that caused it returns (third_party/tidwall-wal,
// PATCH.md). So a power cut that keeps only what was fsynced, file data
// and directory entries alike, loses nothing acknowledged.
//
// # Fsync errors
//
// After a failed fsync the kernel may have dropped the file's dirty pages
// and marked them clean, so what was written since the last good fsync
// may be missing from the disk although reads still show it, and a later
// fsync of the same file could succeed over the hole. The queue therefore
// treats a failed write or fsync as the end of that file: the group fails
// (its submitters get the error and the sender retries), the wal instance
// is retired, and the log is reopened with a new tail segment file
// (wal NewTailOnOpen, also used at every Open), so no record is ever
// appended to a file this process did not create. What an earlier,
// successful fsync covered stays durable; the records of the failed group
// may or may not be on disk and are delivered if they can be read
// (at-least-once). If a power cut later shows the hole, start-up repair
// pads the old segment with tombstones so indexes stay continuous and
// every record after it is kept.
//
// # Replay side
//
// NextBatch, SetSplit and Ack must be called from one goroutine. The
// cursor file holds the acknowledged index and the bounds of the batch in
// flight, so after a crash the first batch has exactly the bounds it had
// before; while the sender splits a refused batch it also holds the part
// in flight (SetSplit, Split: entry and sample ranges of the batch), and
// the batch comes back with Batch.Split set. The cursor slot is version 1
// (the format of earlier releases) whenever no split is in flight and
// version 2, with the split, while one is, and version 3 while the split
// of one lane of a batch sent as several lanes is (Split.Lane, Lanes);
// all are read, so an existing queue drains unchanged after an upgrade.
// Delivery is at-least-once.
//
// # Disk and memory
//
// Every byte count of the queue is of stored, that is mostly compressed,
// bytes: segment sizes (Options.SegmentBytes), the on-disk budget
// (Options.MaxBytes), Stats.PendingBytes and the bytes metric. The same
// budget therefore holds several times more samples than the raw
// payloads would suggest, and the memory held by commit groups and the
// wal's in-memory segments shrinks alike, and so does a batch.
//
// Open repairs the directory first (repair.go): a torn, zero-filled or
// garbage tail is cut, a broken or missing older segment is padded with
// tombstone records so indexes stay continuous. Segments wholly below the
// cursor are removed lazily, a few at a time, never per batch.
//
// Memory per queue does not depend on the segment size or the backlog.
// The patched wal keeps no segment's data in memory, only the positions
// of the entries of the tail and of one segment being read (16 bytes per
// record); it writes each group from a write buffer and serves reads from
// a read window of 256 KiB filled with one pread at the record, so a
// draining queue reads each window once (third_party/tidwall-wal,
// PATCH.md). What a busy queue keeps from one group or batch to the next
// is its two commit groups and the envelope scratch (each dropped after
// it held more than 1 MiB, groupRetain), the wal's write buffer (kept up
// to 1 MiB) and read window, and the batch join buffer (kept up to 2 MiB,
// joinRetain): typically a few hundred KiB, at most about 6 MiB. A queue
// that sees no Submit for Options.IdleRelease (5 s) frees the write
// side's buffers, the read window and the cached positions; a NextBatch
// that waits that long frees the join buffer. An idle queue then holds a
// few KiB plus its two goroutines; the records of a request in a commit
// group are held only until it is fsynced.
//
// # Guarantees and limits
//
// A nil from Submit/Append means the records are fsynced. A failed group
// may still have partly reached the disk; those records are delivered too
// (at-least-once, the sender retries). Nothing fsynced is removed before
// it has been acknowledged by Ack.
package queue
