package config

import (
	"fmt"
	"net/url"
)

// Warnings lists what in s is valid but probably not what the operator
// meant, one sentence each, for the log at start-up and on reload: a
// backend URL without a path (remote write is served on a path such as
// /api/v1/write; the bare host answers 404 or 405, so every batch would be
// refused).
func (s Settings) Warnings() []string {
	var out []string
	for _, b := range s.Backends {
		if w := b.PathWarning(); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// PathWarning says why b's URL looks wrong, or returns "".
func (b Backend) PathWarning() string {
	u, err := url.Parse(b.URL)
	if err != nil || (u.Path != "" && u.Path != "/") {
		return ""
	}
	return fmt.Sprintf("backend %s has no path: remote write is served on a path "+
		"(Prometheus: /api/v1/write, VictoriaMetrics: /api/v1/write, Mimir: /api/v1/push); "+
		"without one every batch is likely refused", b.Name)
}
