// Package config holds the daemon's settings as one validated struct.
//
// The command line (see main.go) fills a Config; Load checks every
// setting once, before anything is opened, reads the optional
// --config.file and derives what the other packages need (backend
// identities, parsed external labels, HTTP client settings). A Config is
// a plain value: no package-level state, safe to copy, never mutated by
// the components it is handed to.
//
// # The config file
//
// --config.file is a YAML file for what flags cannot express: per-backend
// connection settings and the tenant header. Its shape follows
// Prometheus' remote_write section; the client settings are Prometheus'
// HTTPClientConfig, inline:
//
//	backends:
//	  - url: https://mimir.example/api/v1/push
//	    protocol: v2            # v1 (default) | v2
//	    remote_timeout: 10s     # default --remote_write_timeout
//	    headers: {X-Foo: bar}
//	    basic_auth: {username: u, password_file: /etc/prws/pw}
//	    # or: authorization: {credentials_file: /etc/prws/token}
//	    tls_config: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem}
//	    proxy_url: http://proxy:3128
//	  - url: http://vm:8428/api/v1/write
//	    write_relabel_configs:  # Prometheus relabel_config, per backend
//	      - {source_labels: [job], regex: 'node.*', action: keep}
//	    max_samples_per_second: 50000   # default --max-send-samples-per-second; 0 = unlimited
//	    max_requests_per_second: 20     # default --max-send-requests-per-second
//	tenant_header: X-Scope-OrgID   # optional
//	relabel_configs:               # every series, before external labels and hashing
//	  - {source_labels: [__name__], regex: 'go_.*', action: drop}
//	tenant_limits:                 # samples/s per tenant; needs a tenant header
//	  default: {samples_per_second: 100000}
//	  overrides: {team-a: {samples_per_second: 1000000, burst: 2000000}}
//
// Relabel rules are Prometheus' relabel_config (model/relabel), every
// action, validated as Prometheus 3 does (UTF-8 label names); a rule that
// does not validate is refused with its list, index, text and reason.
//
// # Units
//
// ParseDuration and ParseBytes read the values of the command line:
// durations in Go's and Prometheus' forms (prometheus/common/model: 7d,
// 1w), with a bare integer in the unit the original prom-remote-write-shard
// flag took; sizes as bytes or with units (alecthomas/units, powers of
// 1024 as in Prometheus). DurationValue and BytesValue are their
// flag.Value forms. Settings.Warnings lists what is valid but probably a
// mistake (a backend URL without a path).
//
// Relative file names are resolved against the file's directory. Password
// and credentials files are read on every request, so rotating them needs
// no reload. Secrets print as <secret>; unknown fields are errors; an
// error names the backend by its redacted URL and the field at fault.
//
// # Precedence
//
// Backends from --promes and from the file are merged by backend identity
// (router.BackendID: the normalized URL without its credentials, so
// https://u:p@host/path and https://host/path are the same backend). A backend named in both takes all of its connection settings,
// URL included, from the file; a backend only in the file joins the ring
// after the --promes ones. Global settings (--listen, --shard,
// --shard_key, --replica_factor, --batch, the limits, ...) come from flags
// only. --tenant-header wins over the file's tenant_header.
//
// # Reload
//
// SIGHUP and POST /-/reload re-read the file; flags are read once. A file
// that does not validate, a tenant header that changed, or fewer backends
// than --replica_factor reject the reload and the running configuration
// stays. --shard, --shard_key and --replica_factor shape the ring and
// need a restart.
package config
