// Package dataops is what prws does to a data dir outside the data path:
// the reads and changes behind `prws queues`, `prws deadletter` and
// `prws limiter` and their admin API endpoints, one implementation used
// both by the running daemon and by the CLI on a stopped data dir.
//
// Reads (QueuesFromDataDir, DataDirBackends, LimiterFromDataDir,
// BackendLoss, LastConfigured, ListDeadLetters, ShowDeadLetter) change
// nothing, though opening a dead-letter log deletes its temporary files
// (see deadletter/doc.go), so OpenDeadLetterLogs is for a stopped data
// dir only. Changes are DropBackend and MoveBackend (stopped data dir
// only: the caller holds its LOCK for their whole run), Purge and
// Replay/ReplayDeadLetter (on the daemon's own logs and queues, or on
// those of a stopped, locked data dir through OfflineQueues).
//
// Replay puts each series of a dead letter into the shard ingest routes
// it to (router.ShardOf of its --shard_key hash) and removes the dead
// letter only once every append is durable; a crash in between leaves
// the batch both queued and dead-lettered (delivery is at-least-once).
//
// Functions are safe for concurrent use as far as the logs and queues
// they are given are (both are); OfflineQueues is not. Nothing here
// renders text: package cli does.
package dataops
