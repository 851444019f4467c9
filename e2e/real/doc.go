// Package real tests prws end to end against real servers instead of
// httptest stand-ins: Debian's Prometheus (2.42) as remote-write receiver
// backends, a single-node VictoriaMetrics, and a Prometheus agent scraping
// real targets every second and remote-writing through the prws binary.
//
// The tests prove, by querying every backend over its PromQL HTTP API, that
// each series the agent sent lands on exactly replica_factor backends, that
// those are the backends `prws ring` names for it, and that 1-second series
// have no gaps across a prws restart and across a backend outage (the
// backlog drains, oldest first, without a dead letter).
//
// Every server listens on a free 127.0.0.1 port, keeps its data under
// t.TempDir() and runs in its own process group; it is killed with that
// group when its test ends, and by the kernel (parent-death signal) when the
// test binary dies without cleaning up. A test skips when prometheus or
// victoria-metrics is not installed. Linux only.
package real
