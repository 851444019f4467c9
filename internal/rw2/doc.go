// Package rw2 is prws' codec between remote-write 2.0 and the 1.0 form
// its queues store, in both directions, with the tables both share.
//
// Toward the queue (ingest): HistogramToV1 and AppendV1Spans convert the
// native histograms of a 2.0 request, AppendStartTimestamp keeps a 2.0
// start timestamp as the field of the same number in the 1.0 message
// (which a 1.0 decoder skips), TypeToV1 maps metric types, and
// FamilyName names the metric family a series' metadata belongs to.
// Ingest does the rest there, with its validation and its arenas.
//
// Toward a 2.0 backend (replay): an Encoder turns a stored batch, a 1.0
// WriteRequest, into the equivalent 2.0 request, reading the start
// timestamps back (StartTimestamp) and giving each series the metadata
// of its family (LookupFamily).
//
// Both directions read one table of metric family suffixes
// (familySuffixes). FuzzRoundTrip checks that a series survives 1.0 →
// 2.0 → 1.0 with its labels, samples (bit for bit), start timestamps,
// histograms and exemplars.
//
// Functions are pure. An Encoder is reused from batch to batch by one
// goroutine and is not safe for concurrent use.
package rw2
