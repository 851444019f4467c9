#!/usr/bin/env bash
# bench/fixed.sh — prws' CPU per sample at a fixed rate, for one layout.
#
#   bash bench/fixed.sh NAME BACKENDS SHARDS RATE [extra prws flags...]
#   bash bench/fixed.sh 16x2 16 2 400000 --queue-commit-journal=false
#
# Starts a decoding sink (prws-bench sink -decode) on 127.0.0.1:19391
# serving BACKENDS paths, prws on 127.0.0.1:19390 with --shard SHARDS,
# and prws-bench load at RATE samples/s (32 senders) for 13 s. prws' CPU
# (utime + stime from /proc) is taken over 8 s from the fourth second,
# with a CPU profile of the same 8 s in bench/out/NAME.pprof. One line
# per run is appended to bench/out/fixed.txt. Needs bin/prws and
# bin/prws-bench (make build; go build -o bin/prws-bench ./cmd/prws-bench).
set -u
cd "$(dirname "$0")/.."
name=$1 nb=$2 sh=$3 rate=$4
shift 4
out=bench/out
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin/prws-bench sink -decode -listen 127.0.0.1:19391 >/dev/null 2>&1 &
sp=$!
urls=http://127.0.0.1:19391/api/v1/write
if [ "$nb" != 1 ]; then
	urls=""
	for i in $(seq 0 $((nb - 1))); do urls="$urls${urls:+,}http://127.0.0.1:19391/b$i/api/v1/write"; done
fi
bin/prws --listen 127.0.0.1:19390 --promes "$urls" --replica_factor 1 --shard_key series --shard "$sh" --batch 5000 \
	--remote_write_max_wait 1s --data-dir "$work/data" --log.level warn "$@" >"$work/log" 2>&1 &
pp=$!
sleep 1.5
bin/prws-bench load -url http://127.0.0.1:19390/api/v1/write -concurrency 32 -rate "$rate" -duration 13s >"$work/load" 2>&1 &
lp=$!
sleep 4
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
commits() { curl -s 127.0.0.1:19390/metrics | awk '/^prws_queue_commit_duration_seconds_count/ {s += $2} END {print s + 0}'; }
t0=$(cpu $pp) c0=$(commits)
curl -s -o "$out/$name.pprof" "127.0.0.1:19390/debug/pprof/profile?seconds=8"
t1=$(cpu $pp) c1=$(commits)
wait $lp
kill $pp $sp
wait $pp $sp 2>/dev/null
tk=$(getconf CLK_TCK)
awk -v n="$name" -v t="$((t1 - t0))" -v tk="$tk" -v r="$rate" -v c="$((c1 - c0))" -v l="$(tail -1 "$work/load")" \
	'BEGIN { printf "%s cpu_s=%.2f cpu_s_per_M=%.3f commits_per_s=%.0f load=[%s]\n", n, t/tk, t/tk/(r*8/1e6), c/8, l }' | tee -a "$out/fixed.txt"
