#!/usr/bin/env bash
# The CPU tally spends per request on one target, for one or more binaries
# measured alternately: steadier than req/s on a shared machine, and quick
# enough to run beside a change. See bench/README.md.
#
#   bench/cpu-probe.bash TARGET STORE BINARY [BINARY...]
#
# TARGET: hits, counter, results, votes or healthz (as in bench/run);
# STORE: embedded or redis (a private redis-server per binary).
# PROBE_SECONDS (8), PROBE_WARMUP (2), PROBE_ROUNDS (3), PROBE_CONNECTIONS
# (64). Prints one line per binary and round, then the medians.
# PROBE_PERF=DIR: after the rounds, one more run of each binary under
# `perf record -e cpu-clock -g`, written to DIR/TARGET-STORE-N.data (N the
# binary's position, from 0); not counted in the medians.
# PROBE_MALLOCS=1: after the rounds, one more run of each binary counting
# its calls of libc's malloc per request (`perf stat` on the uprobe
# probe_libc:malloc, which `perf probe -x <libc> malloc` defines, as root):
# the steadiest reading on a busy machine.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LUA=$ROOT/bench/lua
SECS=${PROBE_SECONDS:-8}
WARMUP=${PROBE_WARMUP:-2}
ROUNDS=${PROBE_ROUNDS:-3}
CONNECTIONS=${PROBE_CONNECTIONS:-64}
POLL=danh-gia-cong

(($# >= 3)) || { sed -n '2,18p' "$0" >&2; exit 2; }
TARGET=$1 STORE=$2
shift 2
BINS=("$@")
case $TARGET in
  hits) SCRIPT=hits.lua PATH_=/v1/hits LISTENER=public ;;
  counter) SCRIPT=get.lua PATH_=/v1/counter LISTENER=public ;;
  results) SCRIPT=get.lua PATH_=/v1/polls/$POLL/results LISTENER=public ;;
  votes) SCRIPT=votes.lua PATH_=/v1/polls/$POLL/votes LISTENER=public ;;
  healthz) SCRIPT=get.lua PATH_=/healthz LISTENER=ops ;;
  *) echo "no target $TARGET" >&2; exit 2 ;;
esac
[[ $STORE == embedded || $STORE == redis ]] || { echo "no store $STORE" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tally-probe.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { # a port nothing listens on, below the ephemeral range
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

declare -a TALLY_PID=() REDIS_PID=() URL=()
for i in "${!BINS[@]}"; do
  REDIS_PID[i]=""
  store_env="TALLY_DATA_DIR=$WORK/data-$i"
  if [[ $STORE == redis ]]; then
    port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
      --dir "$WORK" >"$WORK/redis-$i.log" 2>&1 &
    REDIS_PID[i]=$!
    PIDS+=("$!")
    until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
    store_env="TALLY_REDIS_URL=redis://127.0.0.1:$port"
  fi
  public=$(free_port)
  ops=$(free_port)
  env -i PATH="$PATH" TALLY_LISTEN="127.0.0.1:$public" TALLY_OPS_LISTEN="127.0.0.1:$ops" \
    TALLY_POLLS_FILE="$ROOT/examples/polls.toml" TALLY_LOG=warn "$store_env" \
    TALLY_RATE_LIMIT=10000000,10000000 TALLY_VOTE_RATE_LIMIT=10000000,10000000 \
    TALLY_GLOBAL_RATE_LIMIT=10000000,10000000 TALLY_VOTES_PER_ADDRESS=1000000000 \
    TALLY_VOTES_PER_NETWORK=1000000000 TALLY_VOTES_PER_IPV6_SITE=1000000000 \
    "${BINS[i]}" >"$WORK/tally-$i.log" 2>&1 &
  TALLY_PID[i]=$!
  PIDS+=("$!")
  for _ in $(seq 150); do
    curl -fsS "http://127.0.0.1:$ops/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS "http://127.0.0.1:$ops/readyz" >/dev/null || { tail "$WORK/tally-$i.log" >&2; exit 1; }
  if [[ $LISTENER == ops ]]; then URL[i]="http://127.0.0.1:$ops$PATH_"; else URL[i]="http://127.0.0.1:$public$PATH_"; fi
done

run() { # run SECONDS URL: prints the requests wrk saw answered
  wrk -t1 -c"$CONNECTIONS" -d"${1}s" --timeout 10s -s "$LUA/$SCRIPT" "$2" 2>&1 |
    sed -n 's/^WRK_RESULT requests=\([0-9]*\).* non_2xx=\([0-9]*\).*/\1 \2/p'
}

declare -A SERVER=() REDIS=()
for round in $(seq "$ROUNDS"); do
  for i in "${!BINS[@]}"; do
    run "$WARMUP" "${URL[i]}" >/dev/null
    s0=$(ticks "${TALLY_PID[i]}")
    r0=0
    [[ -n ${REDIS_PID[i]} ]] && r0=$(ticks "${REDIS_PID[i]}")
    read -r n bad < <(run "$SECS" "${URL[i]}")
    s1=$(ticks "${TALLY_PID[i]}")
    r1=0
    [[ -n ${REDIS_PID[i]} ]] && r1=$(ticks "${REDIS_PID[i]}")
    SERVER[$i|$round]=$(awk -v t=$((s1 - s0)) -v n="$n" -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
    REDIS[$i|$round]=$(awk -v t=$((r1 - r0)) -v n="$n" -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
    printf '%s %s round %d: %d requests (%d non-2xx), %.0f req/s, tally %s µs/req, redis %s µs/req, load %s\n' \
      "$TARGET" "${BINS[i]}" "$round" "$n" "$bad" "$(awk -v n="$n" -v s="$SECS" 'BEGIN { print n / s }')" \
      "${SERVER[$i|$round]}" "${REDIS[$i|$round]}" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done

if [[ -n ${PROBE_PERF:-} ]]; then
  mkdir -p "$PROBE_PERF"
  for i in "${!BINS[@]}"; do
    out=$PROBE_PERF/$TARGET-$STORE-$i.data
    perf record -q -e cpu-clock -F 999 -g -o "$out" -p "${TALLY_PID[i]}" 2>/dev/null &
    perf_pid=$!
    sleep 0.5
    read -r n _ < <(run "$SECS" "${URL[i]}")
    kill -INT "$perf_pid"
    wait "$perf_pid" || true
    echo "profile of ${BINS[i]}: $out ($n requests)"
  done
fi

if [[ -n ${PROBE_MALLOCS:-} ]]; then
  for i in "${!BINS[@]}"; do
    perf stat -x, -e probe_libc:malloc -o "$WORK/mallocs-$i" -p "${TALLY_PID[i]}" &
    stat_pid=$!
    sleep 0.5
    read -r n _ < <(run "$SECS" "${URL[i]}")
    kill -INT "$stat_pid"
    wait "$stat_pid" || true
    calls=$(awk -F, '/probe_libc:malloc/ { print $1 }' "$WORK/mallocs-$i")
    printf '%s %s %s: %s mallocs/req\n' "$TARGET" "$STORE" "${BINS[i]}" \
      "$(awk -v c="$calls" -v n="$n" 'BEGIN { printf "%.1f", c / n }')"
  done
fi

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for i in "${!BINS[@]}"; do
  all=()
  for round in $(seq "$ROUNDS"); do all+=("${SERVER[$i|$round]}"); done
  printf '%s %s %s median: tally %s µs/req (rounds %s), redis %s µs/req\n' "$TARGET" "$STORE" "${BINS[i]}" \
    "$(printf '%s\n' "${all[@]}" | median)" "${all[*]}" \
    "$(for round in $(seq "$ROUNDS"); do echo "${REDIS[$i|$round]}"; done | median)"
done
