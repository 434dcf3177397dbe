# shellcheck shell=bash
# Measurement helpers for scripts/bench.sh: process CPU and memory from /proc, the services' own
# request counters from /metrics, and parsers for h2load, pgbench and redis-benchmark output.
# Source it after `set -euo pipefail`; it needs curl and jq.

CLK_TCK=$(getconf CLK_TCK)

# utime+stime of PID (and, with --children, of its reaped children: cutime+cstime), in ticks.
proc_cpu_ticks() {
  local children=0
  if [[ $1 == --children ]]; then children=1; shift; fi
  local pid=$1 fields
  # The command name (field 2) may contain spaces: cut everything up to the last ')'.
  fields=$(sed -E 's/^.*\) //' "/proc/$pid/stat" 2>/dev/null) || { echo 0; return 0; }
  # After the cut, utime is field 12, stime 13, cutime 14, cstime 15.
  awk -v c="$children" '{ t = $12 + $13; if (c) t += $14 + $15; print t }' <<<"$fields"
}

# All CPU a PostgreSQL cluster used: the postmaster, including backends that already exited
# (their time is added to the postmaster's cutime/cstime when it reaps them), plus live children.
pg_cluster_cpu_ticks() {
  local postmaster=$1 total child
  total=$(proc_cpu_ticks --children "$postmaster")
  for child in $(ps -o pid= --ppid "$postmaster" 2>/dev/null); do
    total=$((total + $(proc_cpu_ticks "$child")))
  done
  echo "$total"
}

# Context switches of all of PID's threads (voluntary + involuntary): /proc/PID/status counts the
# main thread's only. Threads that exited are not counted; the services' threads live as long as
# they do.
proc_context_switches() {
  cat "/proc/$1/task/"*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

# "busy total" ticks of the whole machine, from the first line of /proc/stat.
machine_ticks() {
  awk '/^cpu / { total = 0; for (i = 2; i <= NF; i++) total += $i; print total - $5 - $6, total; exit }' /proc/stat
}

# VmRSS / VmHWM of PID in KiB.
proc_rss_kb() { awk '/^VmRSS:/ { print $2; exit }' "/proc/$1/status" 2>/dev/null || echo 0; }
proc_hwm_kb() { awk '/^VmHWM:/ { print $2; exit }' "/proc/$1/status" 2>/dev/null || echo 0; }

# The service's accord_rpc_requests_total for METHOD ("pkg.Service/Method") as a JSON object
# {"OK": n, "NOT_FOUND": n, ...}; {} if the endpoint has none.
rpc_codes() {
  local port=$1 method=$2 text
  text=$(curl -sf --max-time 5 "http://127.0.0.1:$port/metrics") || { echo '{}'; return 0; }
  grep '^accord_rpc_requests_total{' <<<"$text" | grep -F "method=\"$method\"" \
    | sed -E 's/^.*code="([A-Z_]+)".*\}[[:space:]]+([0-9.eE+]+)$/\1 \2/' \
    | jq -Rn '[inputs | split(" ") | select(length == 2) | {(.[0]): (.[1] | tonumber)}] | add // {}'
}

# p50/p90/p99/max/mean of the integer microseconds in column COL of FILES, as JSON.
latency_json() {
  local col=$1
  shift
  { awk -v c="$col" '{ print $c }' "$@" 2>/dev/null || true; } | sort -n | awk '
    { v[NR] = $1; sum += $1 }
    END {
      if (NR == 0) { print "{\"count\":0,\"p50\":0,\"p90\":0,\"p99\":0,\"max\":0,\"mean\":0}"; exit }
      printf "{\"count\":%d,\"p50\":%d,\"p90\":%d,\"p99\":%d,\"max\":%d,\"mean\":%d}\n", NR,
        v[int(0.50 * (NR - 1)) + 1], v[int(0.90 * (NR - 1)) + 1], v[int(0.99 * (NR - 1)) + 1],
        v[NR], sum / NR
    }'
}

# Prints the children's user+system seconds from the output of bash's `times` (its 2nd line).
times_children_seconds() {
  sed -n 2p "$1" | awk '{
    t = 0
    for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
    printf "%.3f\n", t }'
}

# --- snapshots around one scenario ------------------------------------------------------------
# snapshot_begin / snapshot_end fill the SNAP_* variables; the pids are SERVICE_PID (may be
# empty), PG_POSTMASTER and REDIS_PID.
snapshot_begin() {
  SNAP_T0=$(date +%s.%N)
  SNAP_SVC0=0 SNAP_SWITCHES0=0
  if [[ -n ${SERVICE_PID:-} ]]; then
    SNAP_SVC0=$(proc_cpu_ticks "$SERVICE_PID")
    SNAP_SWITCHES0=$(proc_context_switches "$SERVICE_PID")
  fi
  SNAP_PG0=$(pg_cluster_cpu_ticks "$PG_POSTMASTER")
  SNAP_REDIS0=$(proc_cpu_ticks "$REDIS_PID")
  read -r SNAP_BUSY0 SNAP_TOTAL0 < <(machine_ticks)
}

# Prints a JSON object: wall seconds, CPU seconds and % of one core per process, machine busy %.
snapshot_end() {
  local t1 svc1=0 switches1=0 pg1 redis1 busy1 total1
  t1=$(date +%s.%N)
  if [[ -n ${SERVICE_PID:-} ]]; then
    svc1=$(proc_cpu_ticks "$SERVICE_PID")
    switches1=$(proc_context_switches "$SERVICE_PID")
  fi
  pg1=$(pg_cluster_cpu_ticks "$PG_POSTMASTER")
  redis1=$(proc_cpu_ticks "$REDIS_PID")
  read -r busy1 total1 < <(machine_ticks)
  jq -n --argjson t0 "$SNAP_T0" --argjson t1 "$t1" --argjson hz "$CLK_TCK" \
    --argjson svc "$((svc1 - SNAP_SVC0))" --argjson pg "$((pg1 - SNAP_PG0))" \
    --argjson redis "$((redis1 - SNAP_REDIS0))" --argjson switches "$((switches1 - SNAP_SWITCHES0))" \
    --argjson busy "$((busy1 - SNAP_BUSY0))" --argjson total "$((total1 - SNAP_TOTAL0))" '
    ($t1 - $t0) as $wall
    | { wall_seconds: $wall,
        service_cpu_seconds: ($svc / $hz), postgres_cpu_seconds: ($pg / $hz),
        redis_cpu_seconds: ($redis / $hz), service_context_switches: $switches,
        service_cpu_pct: (100 * $svc / $hz / $wall), postgres_cpu_pct: (100 * $pg / $hz / $wall),
        redis_cpu_pct: (100 * $redis / $hz / $wall),
        machine_busy_pct: (if $total > 0 then 100 * $busy / $total else 0 end) }'
}

# --- output parsers ---------------------------------------------------------------------------

# h2load's summary as JSON: requests done/succeeded/failed/errored/timeout, 2xx and others, req/s.
h2load_json() {
  local out=$1
  awk '
    /^finished in/ { gsub(",", ""); rps = $4 }
    /^requests:/ { gsub(",", ""); total = $2; started = $4; done = $6; ok = $8; failed = $10; errored = $12; timeout = $14 }
    /^status codes:/ { gsub(",", ""); s2 = $3; s3 = $5; s4 = $7; s5 = $9 }
    END {
      printf "{\"rps\":%s,\"total\":%d,\"done\":%d,\"succeeded\":%d,\"failed\":%d,\"errored\":%d,\"timeout\":%d,\"status_2xx\":%d,\"status_other\":%d}\n",
        (rps == "" ? 0 : rps), total, done, ok, failed, errored, timeout, s2, s3 + s4 + s5
    }' "$out"
}

# pgbench's summary as JSON: transactions processed and failed, tps.
pgbench_json() {
  local out=$1
  awk '
    /^number of transactions actually processed:/ { split($6, a, "/"); processed = a[1] }
    /^number of failed transactions:/ { failed = $5 }
    /^tps = / { tps = $3 }
    /^latency average = / { avg = $4 }
    END {
      printf "{\"processed\":%d,\"failed\":%d,\"tps\":%s,\"latency_avg_ms\":%s}\n",
        processed, failed, (tps == "" ? 0 : tps), (avg == "" ? 0 : avg)
    }' "$out"
}

# redis-benchmark --csv: the GET row as JSON (rps and latencies in ms).
redis_benchmark_json() {
  local out=$1
  tr -d '"' <"$out" | awk -F, '
    $1 == "GET" { printf "{\"rps\":%s,\"avg_ms\":%s,\"p50_ms\":%s,\"p99_ms\":%s,\"max_ms\":%s}\n", $2, $3, $5, $7, $8; found = 1 }
    END { if (!found) print "{\"rps\":0}" }'
}

# A process's accord_cache_requests_total{cache=CACHE} (default: account) as JSON
# {"local_hit": n, "local_miss": n, "redis_hit": n, "redis_miss": n} (absent series count 0).
cache_counts() {  # METRICS_PORT [CACHE]
  local port=$1 cache=${2:-account} text
  text=$(curl -sf --max-time 5 "http://127.0.0.1:$port/metrics") || text=""
  { grep '^accord_cache_requests_total{' <<<"$text" | grep -F "cache=\"$cache\"" || true; } \
    | awk '{ l = $0; r = $0; sub(/^.*level="/, "", l); sub(/".*$/, "", l)
             sub(/^.*result="/, "", r); sub(/".*$/, "", r); print l "_" r, $NF }' \
    | jq -Rn '{local_hit: 0, local_miss: 0, redis_hit: 0, redis_miss: 0}
              + ([inputs | split(" ") | select(length == 2) | {(.[0]): (.[1] | tonumber)}] | add // {})'
}
