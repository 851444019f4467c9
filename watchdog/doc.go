// Package watchdog probes the prws backends and tells the ring which of
// them may take new series.
//
// # Probe
//
// Every Options.Interval each backend receives an empty remote-write 1.0
// request (a snappy-compressed empty WriteRequest with the protocol
// headers), which every remote-write receiver accepts without storing
// anything: Prometheus and VictoriaMetrics answer 204. The verdict is
// strict and decided in one place (classify): any 2xx is good; any other
// status, a timeout or a network error is bad. A 400 is bad too, because
// a receiver that refuses an empty write would refuse real ones.
//
// # Membership
//
// A backend goes down after Options.FailAfter consecutive bad results and
// comes back after Options.RecoverAfter consecutive good ones; both
// counts include the send results replay reports through
// ReportSendResult, so a backend that answers probes but fails real
// writes still leaves the ring. All backends start up. When every
// backend is down, Up reports all of them up: the ring then routes as if
// all were healthy and the series queue on disk for their own backends
// instead of being refused or piled onto one node.
//
// Each transition is logged once, counted in
// prws_watchdog_transitions_total{backend,to} and followed by a call of
// Options.OnChange.
//
// # Concurrency
//
// Up is lock-free (one atomic load of an immutable snapshot) and may be
// called on the ingest hot path. ReportSendResult and the probe loop
// update the state under one mutex and publish a new snapshot on change.
// Start is non-blocking; Stop cancels in-flight probes and returns within
// about Options.Timeout.
package watchdog
