# A province of BENCH_SITES sites on one tally, measured beside the one-site
# `hits` target in the same rounds: sourced by bench/run, with its helpers
# (start_tally, status_kib, metric_sum, med, check, log).
#
# The sites: the portal `tinh`, 20 departments `so-N` under it, and the
# rest communes `xa-N` spread over the departments, each counting from its
# own origin. The `sites` target sends hits to them, skewed (lua/sites.lua).
# Beside throughput and p99 against one site, it measures what the flush
# costs per tick (every site's batch, read back), tally's memory per idle
# site (the sites' tally just started, against the one-site tally), and on
# Redis what one site's counters keep in the store.

SITES=${BENCH_SITES:-1000}
SITES_RATIO=0.9
SITES_P99_RATIO=1.1

declare -A SITES_PID=() SITES_IDLE_KIB=() SITES_STARTED=() SITES_FLUSH=() SITES_KEY_BYTES=()

# Writes the province's sites file; echoes its path.
sites_file() {
  local file=$WORK/sites.toml i parent
  {
    printf '[[sites]]\nid = "tinh"\nname = "Tỉnh"\norigins = ["https://tinh.tinh.gov.vn"]\n\n'
    for i in $(seq 1 20); do
      printf '[[sites]]\nid = "so-%d"\nname = "Sở %d"\nparent = "tinh"\norigins = ["https://so-%d.tinh.gov.vn"]\n\n' "$i" "$i" "$i"
    done
    for i in $(seq 1 $((SITES - 21))); do
      parent=$(((i - 1) % 20 + 1))
      printf '[[sites]]\nid = "xa-%d"\nname = "Xã %d"\nparent = "so-%d"\norigins = ["https://xa-%d.tinh.gov.vn"]\n\n' "$i" "$i" "$parent" "$i"
    done
  } >"$file"
  echo "$file"
}

# sites_start STORE: the province's tally on STORE.
sites_start() {
  local store=$1 name=tally-sites-$1
  if ! start_tally "$name" "$store" "${LIFTED[@]}" "TALLY_SITES_FILE=$SITES_FILE"; then
    log "sites on $store: $START_ERROR"
    return
  fi
  SITES_PID[$store]=$STARTED
  SITES_STARTED[$store]=$SECONDS
  sleep 1
  SITES_IDLE_KIB[$store]="$(status_kib "${TALLY_PID[$store]}" VmRSS) $(status_kib "$STARTED" VmRSS)"
}

# sites_collect STORE: the flush's cost and, on Redis, one site's keys.
sites_collect() {
  local store=$1 name=tally-sites-$1
  [[ -n ${SITES_PID[$store]:-} ]] || return 0
  local sum count elapsed
  sum=$(curl -fsS "http://127.0.0.1:${OPS[$name]}/metrics" |
    awk '$1 == "tally_batch_flush_duration_seconds_sum" { print $2 }')
  count=$(metric_sum "${OPS[$name]}" 'tally_batch_flush_duration_seconds_count')
  elapsed=$((SECONDS - SITES_STARTED[$store]))
  SITES_FLUSH[$store]="$sum $count $elapsed"
  if [[ $store == redis ]]; then
    # The counters of a commune of the tail that had hits: every key of
    # its own slot (visitors' states expire with their visits).
    local id key bytes=0 keys=0
    for id in xa-$((SITES - 21)) xa-$((SITES - 22)) xa-$((SITES / 2)); do
      while read -r key; do
        [[ -n $key ]] || continue
        bytes=$((bytes + $(redis-cli -p "$REDIS_PORT" memory usage "$key" | tr -dc 0-9)))
        keys=$((keys + 1))
      done < <(redis-cli -p "$REDIS_PORT" --scan --pattern "tally:{$id}:*")
      ((keys > 0)) && break
    done
    SITES_KEY_BYTES[$store]="$id $keys $bytes"
  fi
}

sites_report() {
  echo "## A province of $SITES sites"
  echo
  echo "The \`sites\` target beside \`hits\` (one site) on the same store, in the same"
  echo "rounds: medians. Flush: every flush of the run (one per site with something"
  echo "to write or read, each interval) over the ticks of the sites' tally's life."
  echo "Idle memory: the sites' tally just started against the one-site tally, per"
  echo "site beyond the first."
  echo
  echo "| store | hits/s, 1 site | hits/s, $SITES sites | ratio | p99 1 site | p99 $SITES sites | flushes per tick | flush time per tick | tally RSS per idle site |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
  local store one many p1 pm sum count elapsed ticks idle_one idle_many
  for store in "${ACTIVE[@]}"; do
    [[ $store == *@before || -z ${SITES_PID[$store]:-} ]] && continue
    one=$(med hits "$store" 1) many=$(med sites "$store" 1)
    p1=$(med hits "$store" 3) pm=$(med sites "$store" 3)
    read -r sum count elapsed <<<"${SITES_FLUSH[$store]:-0 0 1}"
    ticks=$(awk -v e="$elapsed" 'BEGIN { printf "%.0f", e * 10 }')
    read -r idle_one idle_many <<<"${SITES_IDLE_KIB[$store]:-0 0}"
    echo "| $(store_label "$store") | $(fmt0 "$one") | $(fmt0 "$many") | $(ratio "$many" "$one") | $(fmt2 "$p1") ms | $(fmt2 "$pm") ms |" \
      "$(awk -v c="$count" -v t="$ticks" 'BEGIN { printf "%.1f", c / t }') |" \
      "$(awk -v s="$sum" -v t="$ticks" 'BEGIN { printf "%.2f ms", s * 1000 / t }') |" \
      "$(awk -v a="$idle_one" -v b="$idle_many" -v n="$SITES" 'BEGIN { printf "%.1f KiB", (b - a) / (n - 1) }') |"
  done
  echo
  if [[ -n ${SITES_KEY_BYTES[redis]:-} ]]; then
    local id keys bytes
    read -r id keys bytes <<<"${SITES_KEY_BYTES[redis]}"
    echo "On Redis, the tail site \`$id\` keeps $keys keys of its own ($bytes bytes by \`MEMORY USAGE\`): a"
    echo "site's counters, grown by one key per day and per month it is visited; a site"
    echo "never visited keeps none."
    echo
  fi
}

sites_checks() {
  local store label one many p1 pm
  for store in "${ACTIVE[@]}"; do
    [[ $store == *@before || -z ${SITES_PID[$store]:-} ]] && continue
    label=$(store_label "$store")
    one=$(med hits "$store" 1) many=$(med sites "$store" 1)
    p1=$(med hits "$store" 3) pm=$(med sites "$store" 3)
    check "$label: hits to $SITES sites ≥ $SITES_RATIO× hits to one" "$(ratio "$many" "$one")" "$SITES_RATIO" ge \
      "$(fmt0 "$many") vs $(fmt0 "$one") req/s: ratio $(ratio "$many" "$one")"
    check "$label: p99 of $SITES sites < $SITES_P99_RATIO× one site's" "$(ratio "$pm" "$p1")" "$SITES_P99_RATIO" lt \
      "$(fmt2 "$pm") vs $(fmt2 "$p1") ms: ratio $(ratio "$pm" "$p1")"
  done
}
