# The outage buffer, measured: sourced by bench/run after the flood, with
# its helpers (start_redis, start_tally, stop, untrack, metric_sum, free_port,
# log).
#
# tally runs on a private Redis (append-only, so what it was sent survives
# its restarts) with its default TALLY_HIT_BUFFER. Redis is
# stopped, `POST /v1/hits` from a new visitor each (so every hit is one
# visit) fills the buffer, and Redis is started again:
#   drain    — the time until the buffer is empty;
#   SIGTERM  — filled again, Redis started again and tally sent SIGTERM at
#              once: the time until it exits, and its exit status.
# Then a new tally reads the total, which must be every hit answered 2xx
# less those the full buffer turned away (tally_hit_buffer_dropped_total).

# The default TALLY_HIT_BUFFER, named so the report says what it measured.
OUTAGE_BUFFER=100000
OUTAGE_FILL_MAX_SECONDS=60

# Results: "state drain_hits drain_s term_hits term_s term_status expected stored spilled".
OUTAGE="error not run"

outage_metric() { metric_sum "${OPS[$1]}" "$2"; }

# outage_fill NAME REDIS_PID: stops Redis and sends hits until
# the buffer holds OUTAGE_BUFFER; leaves the hits buffered in FILLED.
outage_fill() {
  local name=$1 redis_pid=$2
  stop "$redis_pid"
  timeout $((OUTAGE_FILL_MAX_SECONDS + 30)) wrk -t1 -c"$CONNECTIONS" -d"${OUTAGE_FILL_MAX_SECONDS}s" \
    --timeout 10s -s "$LUA/hits.lua" "http://127.0.0.1:${PUBLIC[$name]}/v1/hits" -- 0 "$PAGES" \
    >>"$WORK/$name.wrk" 2>&1 &
  local wrk_pid=$!
  PIDS+=("$wrk_pid")
  while kill -0 "$wrk_pid" 2>/dev/null; do
    sleep 0.1
    (($(outage_metric "$name" 'tally_hit_buffer ') >= OUTAGE_BUFFER)) && break
  done
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" 2>/dev/null || true
  stop "$wrk_pid"
  sleep 0.5
  FILLED=$(outage_metric "$name" 'tally_hit_buffer ')
}

# outage_expected NAME: hits answered 2xx less those the buffer turned away.
outage_expected() {
  local answered dropped
  answered=$(outage_metric "$1" 'tally_http_requests_total{listener="public",method="POST",route="/v1/hits",status="2xx"}')
  dropped=$(outage_metric "$1" 'tally_hit_buffer_dropped_total')
  echo $((answered - dropped))
}

outage() {
  local port redis name=tally-outage data=$WORK/outage-data
  free_port port
  start_redis outage-redis "$port" --appendonly yes
  redis=$STARTED
  local env=("TALLY_DATA_DIR=$data" "TALLY_HIT_BUFFER=$OUTAGE_BUFFER" "${LIFTED[@]}")
  if ! start_tally "$name" "redis-at:$port" "${env[@]}"; then
    OUTAGE="error $START_ERROR"
    stop "$redis"
    return
  fi
  local pid=$STARTED
  log "outage on Redis: filling the buffer ($OUTAGE_BUFFER hits)"

  outage_fill "$name" "$redis"
  local drain_hits=$FILLED start_ns end_ns drain_s
  start_redis outage-redis "$port" --appendonly yes
  redis=$STARTED
  start_ns=$(date +%s%N)
  until (($(outage_metric "$name" 'tally_hit_buffer ') == 0)); do
    (($(date +%s%N) - start_ns < 60000000000)) || break
    sleep 0.02
  done
  end_ns=$(date +%s%N)
  drain_s=$(awk -v n=$((end_ns - start_ns)) 'BEGIN { printf "%.2f", n / 1e9 }')
  log "outage: $drain_hits buffered hits drained in $drain_s s"

  log "outage on Redis: filling the buffer again, then SIGTERM as Redis returns"
  outage_fill "$name" "$redis"
  local term_hits=$FILLED expected term_s status=0
  expected=$(outage_expected "$name")
  start_redis outage-redis "$port" --appendonly yes
  redis=$STARTED
  start_ns=$(date +%s%N)
  kill -TERM "$pid"
  wait "$pid" || status=$?
  end_ns=$(date +%s%N)
  untrack "$pid"
  term_s=$(awk -v n=$((end_ns - start_ns)) 'BEGIN { printf "%.2f", n / 1e9 }')
  local spilled
  spilled=$(find "$data" -name 'spill-*' 2>/dev/null | wc -l)
  log "outage: SIGTERM with $term_hits buffered hits: exit $status after $term_s s"

  # A new tally reads the total the store has (a spill file, had there
  # been one, would be written on its start).
  local stored=-
  if start_tally tally-outage-after "redis-at:$port" "${env[@]}"; then
    sleep 1.5
    stored=$(curl -fsS "http://127.0.0.1:${PUBLIC[tally-outage-after]}/v1/counter" |
      sed -n 's/.*"total":\([0-9]*\).*/\1/p')
    stop "$STARTED"
  fi
  stop "$redis"
  OUTAGE="ok $drain_hits $drain_s $term_hits $term_s $status $expected ${stored:--} $spilled"
}

outage_report() {
  echo "## The outage buffer"
  echo
  read -r state rest <<<"$OUTAGE"
  if [[ $state != ok ]]; then
    echo "Not measured: $rest"
    echo
    return
  fi
  read -r drain_hits drain_s term_hits term_s status expected stored spilled <<<"$rest"
  echo "tally on a private Redis with \`TALLY_HIT_BUFFER=$OUTAGE_BUFFER\` (the default); Redis"
  echo "stopped, the buffer filled by \`POST /v1/hits\` from a new visitor each, Redis"
  echo "started again. Hits past a full buffer are answered and counted in"
  echo "\`tally_hit_buffer_dropped_total\`."
  echo
  echo "| | buffered hits | seconds | |"
  echo "|---|--:|--:|---|"
  echo "| drained after Redis returned | $drain_hits | $drain_s | |"
  echo "| SIGTERM as Redis returned | $term_hits | $term_s | exit status $status, spill files $spilled |"
  echo
  echo "Visits expected (hits answered 2xx less those turned away) $expected; the store holds $stored."
  echo
}

outage_checks() {
  read -r state rest <<<"$OUTAGE"
  if [[ $state != ok ]]; then
    CHECKS+=("| outage buffer | n/a | not measured: ${rest//|/\\|} |")
    return
  fi
  read -r drain_hits drain_s term_hits term_s status expected stored spilled <<<"$rest"
  check "$drain_hits buffered hits drain in < 5 s" "$drain_s" 5 lt "$drain_s s"
  local lost=1
  [[ $status == 0 && $stored == "$expected" ]] && lost=0
  check "SIGTERM with $term_hits buffered hits loses nothing within the grace" "$lost" 1 lt \
    "exit status $status after $term_s s (grace 20 s); store total $stored of $expected"
}
