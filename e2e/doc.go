// Package e2e holds prws's end-to-end tests: the wired daemon (and the
// real binary, for crash tests) between node_exporter-shaped requests
// (testenv.NodeSeries) and recording httptest backends that fail on
// demand (testenv.Backend). Everything listens on
// 127.0.0.1; every wait is bounded.
package e2e
