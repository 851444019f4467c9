#!/usr/bin/env bash
# bench/run.sh — prws against vmagent on loopback, side by side, one table.
#
#   bash bench/run.sh                 # full run (well over an hour: the drains move 20 M samples each)
#   QUICK=1 bash bench/run.sh         # small sizes, one run each, about 8 minutes
#   bash bench/run.sh -duration 20s   # extra flags go to `prws-bench run`
#   bash bench/run.sh -scenarios drain,queues
#
# Builds bin/prws and bin/prws-bench; installs vmagent and victoria-metrics
# (Debian package victoria-metrics) when they are missing and apt-get is
# usable; builds vmagent $VMAGENT2_VERSION once into bin/vmagent with go
# install (kept there for later runs) and runs it beside the Debian one.
# Whatever cannot be had is skipped with a message. Writes the table to
# stdout and to bench/last-run.md.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
VMAGENT=${VMAGENT:-/usr/bin/vmagent}
VICTORIA_METRICS=${VICTORIA_METRICS:-/usr/bin/victoria-metrics}
VMAGENT2_VERSION=${VMAGENT2_VERSION:-v1.150.0}
VMAGENT2=${VMAGENT2:-bin/vmagent}

mkdir -p bin
CGO_ENABLED=0 $GO build -trimpath -o bin/prws .
$GO build -o bin/prws-bench ./cmd/prws-bench

if [ ! -x "$VMAGENT" ] || [ ! -x "$VICTORIA_METRICS" ]; then
	if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
		echo "vmagent or victoria-metrics missing: installing the victoria-metrics package" >&2
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq victoria-metrics) >&2 ||
			echo "could not install victoria-metrics: the vmagent rows and the VictoriaMetrics drains will be skipped" >&2
	else
		echo "vmagent or victoria-metrics not found and apt-get not usable: their rows will be skipped" >&2
	fi
fi

if [ ! -x "$VMAGENT2" ] && [ "$VMAGENT2" = bin/vmagent ]; then
	echo "building vmagent $VMAGENT2_VERSION into bin/ (once)" >&2
	GOBIN=$PWD/bin $GO install "github.com/VictoriaMetrics/VictoriaMetrics/app/vmagent@$VMAGENT2_VERSION" >&2 ||
		echo "could not build vmagent $VMAGENT2_VERSION: the vmagent2 rows will be skipped" >&2
fi

args=()
if [ -n "${QUICK:-}" ]; then
	args+=(-series 20000 -big-series 200000 -duration 4s -rounds 1 -backlog 2000000 -drain-timeout 60s)
fi

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exec bin/prws-bench run -prws bin/prws -vmagent "$VMAGENT" -vmagent2 "$VMAGENT2" -victoria-metrics "$VICTORIA_METRICS" \
	-out bench/last-run.md "${args[@]}" "$@"
