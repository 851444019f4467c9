#!/usr/bin/env bash
# bench/run.sh — prws against vmagent on loopback, side by side, one table.
#
#   bash bench/run.sh                 # full run (about 7 minutes)
#   QUICK=1 bash bench/run.sh         # small sizes, one run each, about 2 minutes
#   bash bench/run.sh -duration 20s   # extra flags go to `prws-bench run`
#
# Builds bin/prws and bin/prws-bench, installs vmagent (Debian package
# victoria-metrics) when it is missing and apt-get is usable, and skips the
# vmagent column with a message when it cannot be had. Writes the table to
# stdout and to bench/last-run.md.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
VMAGENT=${VMAGENT:-/usr/bin/vmagent}

CGO_ENABLED=0 $GO build -trimpath -o bin/prws .
$GO build -o bin/prws-bench ./cmd/prws-bench

if [ ! -x "$VMAGENT" ]; then
	if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
		echo "vmagent missing: installing the victoria-metrics package" >&2
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq victoria-metrics) >&2 ||
			echo "could not install victoria-metrics: the vmagent column will be skipped" >&2
	else
		echo "vmagent not found at $VMAGENT and apt-get not usable: the vmagent column will be skipped" >&2
	fi
fi

args=()
if [ -n "${QUICK:-}" ]; then
	args+=(-series 20000 -big-series 200000 -duration 4s -rounds 1 -backlog 2000000 -drain-timeout 60s)
fi

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p')" >&2
exec bin/prws-bench run -prws bin/prws -vmagent "$VMAGENT" -out bench/last-run.md "${args[@]}" "$@"
