package daemon

import (
	"github.com/prometheus/prometheus/model/relabel"

	"github.com/prws/prws/config"
	"github.com/prws/prws/ingest"
	"github.com/prws/prws/replay"
)

// setPolicy gives the topology t, about to be published, the relabel
// rules of s, and applies s's rate limits: each backend's send-rate cap
// (its shards share one limiter, kept across reloads) and the tenants'
// ingest limits. Called with d.mu held (or before Start).
func (d *Daemon) setPolicy(t *topology, s config.Settings) {
	rel := &ingest.Relabeling{Global: s.Relabel}
	for i, b := range t.backends {
		rel.Backends = append(rel.Backends, b.Relabel)
		rel.Names = append(rel.Names, b.Name)
		if i < len(t.sinks) {
			t.sinks[i].limit.SetLimits(b.SendLimit.SamplesPerSecond, b.SendLimit.RequestsPerSecond)
		}
	}
	if len(rel.Global) == 0 && !hasBackendRules(rel.Backends) {
		rel = nil // no rules: every series stays on the wire-level path
	}
	t.relabel = rel
	if d.extras.tenants == nil {
		d.extras.tenants = ingest.NewTenantLimiter(d.reg)
	}
	def, overrides := tenantRates(s.TenantLimits)
	d.extras.tenants.SetLimits(def, overrides)
}

func hasBackendRules(rules [][]*relabel.Config) bool {
	for _, r := range rules {
		if len(r) > 0 {
			return true
		}
	}
	return false
}

// tenantRates converts the file's tenant limits (nil: none).
func tenantRates(tl *config.TenantLimits) (ingest.TenantRate, map[string]ingest.TenantRate) {
	if tl == nil {
		return ingest.TenantRate{}, nil
	}
	conv := func(r config.RateLimit) ingest.TenantRate {
		return ingest.TenantRate{SamplesPerSecond: r.SamplesPerSecond, Burst: r.Burst}
	}
	out := make(map[string]ingest.TenantRate, len(tl.Overrides))
	for id, r := range tl.Overrides {
		out[id] = conv(r)
	}
	return conv(tl.Default), out
}

// newSendLimiter is the send-rate cap of backend b, shared by its shards.
func (d *Daemon) newSendLimiter(b config.Backend) *replay.SendLimiter {
	return replay.NewSendLimiter(b.Name, b.SendLimit.SamplesPerSecond, b.SendLimit.RequestsPerSecond,
		d.cfg.Batch, d.metrics.rate)
}

// drainRate is the rate a backend's backlog is expected to drain at, for
// the ETA: the measured send rate, bounded by the cap; the cap itself
// while the backend is up but no rate is measured yet (a fresh start).
func drainRate(measured float64, up bool, lim *replay.SendLimiter) float64 {
	limit := lim.SamplesPerSecond()
	switch {
	case limit <= 0:
		return measured
	case measured > 0:
		return min(measured, limit)
	case up:
		return limit
	}
	return 0
}
