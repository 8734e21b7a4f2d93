#!/usr/bin/env bash
# The poll lists at scale: a release tally on each store, seeded with
# BENCH_POLLS polls through the admin API (open, scheduled, closed and
# archived ones), then BENCH_REQUESTS requests one after another to each
# list (the archive as JSON and HTML, a page deep in it, the admin API's
# list and the console's), timed by curl; prints p50, p99 and the slowest.
#
#   TALLY_BIN=target/release/tally bench/lists.bash
#   BENCH_STORES=redis BENCH_POLLS=1000 bench/lists.bash
#
# Starts its own redis-server and tally on free loopback ports and stops
# them (by pid) when it exits.
set -euo pipefail

POLLS=${BENCH_POLLS:-10000}
REQUESTS=${BENCH_REQUESTS:-200}
STORES=${BENCH_STORES:-embedded redis}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TALLY_BIN=${TALLY_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/tally}
[[ -x $TALLY_BIN ]] || { echo "no tally binary at $TALLY_BIN (cargo build --release, or set TALLY_BIN)" >&2; exit 1; }
WORK=$(mktemp -d)
TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for() {
  for _ in $(seq 100); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "nothing answers at $1" >&2
  return 1
}

# seed OPS: POLLS polls through the admin API, one in ten then archived.
seed() {
  python3 - "$1" "$TOKEN" "$POLLS" <<'PY'
import http.client, json, sys, datetime
ops, token, polls = sys.argv[1], sys.argv[2], int(sys.argv[3])
host, port = ops.split(":")
conn = http.client.HTTPConnection(host, int(port))
now = datetime.datetime.now(datetime.timezone.utc)
at = lambda hours: (now + datetime.timedelta(hours=hours)).isoformat()
headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
def call(method, path, body=None):
    conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
    r = conn.getresponse(); r.read()
    if r.status >= 300:
        sys.exit(f"{method} {path}: {r.status}")
for i in range(polls):
    spec = {"id": f"binh-chon-{i:05d}", "question": f"Câu hỏi số {i} về cổng thông tin?",
            "options": [{"id": f"y-{n}", "label": f"Phương án {n}"} for n in range(4)]}
    kind = i % 4
    if kind == 1: spec["closes_at"] = at(1 + i % 500)
    if kind == 2: spec["opens_at"] = at(24 + i % 500)
    if kind == 3: spec["opens_at"], spec["closes_at"] = at(-5000), at(-1 - i % 500)
    call("POST", "/admin/polls", spec)
    if i % 10 == 9:
        call("POST", f"/admin/polls/binh-chon-{i:05d}/archive")
PY
}

# measure NAME URL [curl options]: REQUESTS requests after 10 unmeasured.
measure() {
  local name=$1 url=$2; shift 2
  for _ in $(seq 10); do curl -s -o /dev/null "$@" "$url"; done
  for _ in $(seq "$REQUESTS"); do
    curl -s -o /dev/null -w '%{http_code} %{time_total} %{size_download}\n' "$@" "$url"
  done | python3 -c '
import sys
name = sys.argv[1]
rows = [l.split() for l in sys.stdin]
bad = [r[0] for r in rows if r[0] != "200"]
ms = sorted(float(r[1]) * 1000 for r in rows)
pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
print(f"| {name} | {len(ms)} | {pick(0.5):.1f} | {pick(0.99):.1f} | {ms[-1]:.1f} | {int(rows[-1][2]) // 1024} KiB | {len(bad)} |")
' "$name"
}

for store in $STORES; do
  public=$(free_port); ops=$(free_port)
  case $store in
    embedded) where=(TALLY_DATA_DIR="$WORK/$store-data") ;;
    redis)
      port=$(free_port)
      redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$WORK" >"$WORK/redis.log" 2>&1 &
      PIDS+=($!)
      where=(TALLY_REDIS_URL="redis://127.0.0.1:$port" TALLY_DATA_DIR="$WORK/$store-data") ;;
    *) echo "unknown store $store" >&2; exit 1 ;;
  esac
  env "${where[@]}" TALLY_LISTEN="127.0.0.1:$public" TALLY_OPS_LISTEN="127.0.0.1:$ops" \
    TALLY_ADMIN_TOKEN="$TOKEN" TALLY_LOG=warn \
    TALLY_RATE_LIMIT=10000000,10000000 TALLY_GLOBAL_RATE_LIMIT=10000000,10000000 \
    "$TALLY_BIN" >"$WORK/$store.log" 2>&1 &
  PIDS+=($!)
  wait_for "http://127.0.0.1:$ops/readyz"
  started=$SECONDS
  seed "127.0.0.1:$ops"
  echo "### $store: $POLLS polls (seeded in $((SECONDS - started)) s)"
  echo
  cookie=$(curl -s -o /dev/null -D - -d "token=$TOKEN" "http://127.0.0.1:$ops/admin/sign-in" |
    sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')
  echo "| list | requests | p50 ms | p99 ms | slowest ms | size | not 200 |"
  echo "|---|--:|--:|--:|--:|--:|--:|"
  measure '`GET /v1/polls`' "http://127.0.0.1:$public/v1/polls"
  measure '`GET /polls` (HTML)' "http://127.0.0.1:$public/polls"
  measure '`GET /v1/polls?offset=8000`' "http://127.0.0.1:$public/v1/polls?offset=8000"
  measure '`GET /admin/polls`' "http://127.0.0.1:$ops/admin/polls" -H "Authorization: Bearer $TOKEN"
  measure 'console `/admin/console/polls`' "http://127.0.0.1:$ops/admin/console/polls" -H "Cookie: $cookie"
  echo
  curl -s "http://127.0.0.1:$ops/metrics" | grep -E '^tally_store_(operation_)?duration_seconds_(sum|count)\{[^}]*"(list_polls|poll_states)"' || true
  echo
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
  unset 'PIDS[-1]'
done
