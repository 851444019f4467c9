#!/usr/bin/env bash
# prws demo: two Prometheus backends (remote-write receivers), prws in front
# of them, and a Prometheus agent scraping all of them every 5 s and
# remote-writing through prws. Prints where the series went, refreshes the
# report every 30 s, and stops everything it started on Ctrl-C.
#
#   make demo            (builds bin/prws, then runs this script)
#
# Ports (127.0.0.1): 9091, 9092 backends, 9093 agent, 9999 prws.
# Installs Debian's prometheus with apt-get when it is missing (as root or
# through sudo). Data lives in a temporary directory removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

PRWS=${PRWS:-bin/prws}
BACKEND_PORTS=(9091 9092)
AGENT_PORT=9093
PRWS_PORT=9999
SCRAPE_INTERVAL=5s
REFRESH_SECONDS=30
WAIT_SECONDS=90

log() { printf '%s demo: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# as_root runs a command as root, through sudo when needed.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

# install_missing installs Debian packages for the commands that are missing.
install_missing() {
  local pkgs=()
  command -v prometheus >/dev/null || pkgs+=(prometheus)
  command -v curl >/dev/null || pkgs+=(curl ca-certificates)
  [ ${#pkgs[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing ${pkgs[*]} and no apt-get to install them"
  log "installing ${pkgs[*]} with apt-get"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  command -v prometheus >/dev/null || die "prometheus still missing after apt-get install"
}

# port_busy succeeds when something accepts connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

check_ports() {
  local busy=() p
  for p in "${BACKEND_PORTS[@]}" "$AGENT_PORT" "$PRWS_PORT"; do
    if port_busy "$p"; then busy+=("$p"); fi
  done
  if [ ${#busy[@]} -gt 0 ]; then
    die "port(s) ${busy[*]} on 127.0.0.1 already in use (another demo running? stop it first; see: ss -ltnp)"
  fi
}

PIDS=()   # every server we started
NAMES=()  # their names, same order
DEMO_DIR=""
SLEEP_PID=""

# stop_one I stops the I-th started process: TERM, then KILL after 10 s.
stop_one() {
  local pid=${PIDS[$1]} name=${NAMES[$1]}
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  log "$name ignored SIGTERM for 10 s: killing it"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# cleanup stops everything started, newest first (the agent flushes into
# a live prws, prws into live backends), and removes the data directory.
# Runs once, on any exit.
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  set +e # best effort from here on: stop everything whatever fails
  [ -n "$SLEEP_PID" ] && kill "$SLEEP_PID" 2>/dev/null
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    log "stopping ${NAMES[$i]}"
    stop_one "$i"
  done
  if [ -n "$DEMO_DIR" ] && [ -d "$DEMO_DIR" ]; then rm -rf "$DEMO_DIR"; fi
  log "stopped; removed ${DEMO_DIR:-nothing}"
  exit "$rc"
}

# start NAME CMD... runs CMD in the background with its output in NAME.log.
start() {
  local name=$1; shift
  "$@" >"$DEMO_DIR/$name.log" 2>&1 &
  PIDS+=($!)
  NAMES+=("$name")
}

# wait_ready NAME URL waits (bounded) until URL answers 200.
wait_ready() {
  local name=$1 url=$2 i
  for i in $(seq $((WAIT_SECONDS * 5))); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && { log "$name is ready"; return 0; }
    check_alive
    sleep 0.2
  done
  tail -n 20 "$DEMO_DIR/$name.log" >&2 || true
  die "$name not ready at $url after ${WAIT_SECONDS}s (log above)"
}

# check_alive exits with the log of the first started process that died.
check_alive() {
  local i
  for i in "${!PIDS[@]}"; do
    if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
      tail -n 20 "$DEMO_DIR/${NAMES[$i]}.log" >&2 || true
      die "${NAMES[$i]} exited (last log lines above)"
    fi
  done
}

start_backends() {
  local p dir
  for p in "${BACKEND_PORTS[@]}"; do
    dir="$DEMO_DIR/backend-$p"
    mkdir -p "$dir"
    printf 'global:\n  scrape_interval: %s\n' "$SCRAPE_INTERVAL" >"$dir/prometheus.yml"
    start "backend-$p" prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
      --web.listen-address="127.0.0.1:$p" --web.enable-remote-write-receiver
  done
  for p in "${BACKEND_PORTS[@]}"; do wait_ready "backend-$p" "http://127.0.0.1:$p/-/ready"; done
}

promes() {
  local p out=()
  for p in "${BACKEND_PORTS[@]}"; do out+=("http://127.0.0.1:$p/api/v1/write"); done
  (IFS=,; echo "${out[*]}")
}

start_prws() {
  start prws "$PRWS" --promes "$(promes)" --listen "127.0.0.1:$PRWS_PORT" --data-dir "$DEMO_DIR/prws" --shard 2
  wait_ready prws "http://127.0.0.1:$PRWS_PORT/-/ready"
}

start_agent() {
  local dir="$DEMO_DIR/agent" p targets=()
  mkdir -p "$dir"
  for p in "${BACKEND_PORTS[@]}"; do targets+=("'127.0.0.1:$p'"); done
  cat >"$dir/agent.yml" <<EOF
global:
  scrape_interval: $SCRAPE_INTERVAL
scrape_configs:
  - job_name: agent
    static_configs: [{targets: ['127.0.0.1:$AGENT_PORT']}]
  - job_name: backends
    static_configs: [{targets: [$(IFS=,; echo "${targets[*]}")]}]
  - job_name: prws
    static_configs: [{targets: ['127.0.0.1:$PRWS_PORT']}]
remote_write:
  - url: http://127.0.0.1:$PRWS_PORT/api/v1/receive
    queue_config: {batch_send_deadline: 5s, min_backoff: 100ms, max_backoff: 5s}
EOF
  start agent prometheus --enable-feature=agent --config.file="$dir/agent.yml" \
    --storage.agent.path="$dir/wal" --web.listen-address="127.0.0.1:$AGENT_PORT" \
    --storage.remote.flush-deadline=5s
  wait_ready agent "http://127.0.0.1:$AGENT_PORT/-/ready"
}

# series_on PORT prints count({__name__=~".+"}) of that backend (0 if none).
series_on() {
  local body
  body=$(curl -fsS --max-time 5 -G "http://127.0.0.1:$1/api/v1/query" \
    --data-urlencode 'query=count({__name__=~".+"})' 2>/dev/null) || { echo "?"; return 0; }
  local n
  n=$(printf '%s' "$body" | grep -o '"value":\[[^]]*\]' | grep -o '"[0-9.e+]*"\]' | tr -d '"]' || true)
  echo "${n:-0}"
}

wait_for_data() {
  local i p all
  log "waiting (at most ${WAIT_SECONDS}s) for samples to reach both backends through prws"
  for i in $(seq $((WAIT_SECONDS / 2))); do
    all=1
    for p in "${BACKEND_PORTS[@]}"; do
      case "$(series_on "$p")" in 0|"?") all=0 ;; esac
    done
    [ "$all" = 1 ] && { log "data is flowing"; return 0; }
    check_alive
    sleep 2
  done
  tail -n 20 "$DEMO_DIR/prws.log" >&2 || true
  die "no series on the backends after ${WAIT_SECONDS}s (prws log above; queues: $PRWS queues --data-dir $DEMO_DIR/prws)"
}

report() {
  local p
  echo
  echo "==== prws demo — $(date '+%Y-%m-%d %H:%M:%S') ===="
  echo "series per backend (PromQL count({__name__=~\".+\"})):"
  for p in "${BACKEND_PORTS[@]}"; do
    printf '  http://127.0.0.1:%s  %s series\n' "$p" "$(series_on "$p")"
  done
  echo
  echo "queues ($PRWS queues --data-dir $DEMO_DIR/prws):"
  "$PRWS" queues --data-dir "$DEMO_DIR/prws" 2>&1 | sed 's/^/  /' || true
  echo
  echo "open:"
  for p in "${BACKEND_PORTS[@]}"; do echo "  backend UI      http://127.0.0.1:$p/graph"; done
  echo "  agent targets   http://127.0.0.1:$AGENT_PORT/targets"
  echo "  prws metrics    http://127.0.0.1:$PRWS_PORT/metrics"
  echo "  prws queues     http://127.0.0.1:$PRWS_PORT/api/v1/queues"
  echo "  route a series  $PRWS ring --promes $(promes) --shard 2 'up{job=\"prws\"}'"
  echo "logs and data in $DEMO_DIR (removed on exit). Ctrl-C stops the demo; report refreshes every ${REFRESH_SECONDS}s."
}

main() {
  [ -x "$PRWS" ] || die "$PRWS not found: run 'make build' (or 'make demo') first"
  install_missing
  check_ports
  DEMO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/prws-demo.XXXXXX")
  trap cleanup EXIT
  trap 'exit 0' INT TERM # a deliberate stop: clean up, succeed
  trap 'exit 129' HUP
  log "data and logs in $DEMO_DIR"
  start_backends
  start_prws
  start_agent
  wait_for_data
  while true; do
    report
    sleep "$REFRESH_SECONDS" &
    SLEEP_PID=$!
    wait "$SLEEP_PID" || true
    SLEEP_PID=""
    check_alive
  done
}

main "$@"
