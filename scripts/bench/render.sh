#!/usr/bin/env bash
# Renders report.json (from scripts/bench.sh) as Markdown on stdout: missed targets first, then
# ratios, scenarios, processes and the run's facts.
#   scripts/bench/render.sh .bench/report.json > .bench/report.md
set -euo pipefail
[[ $# -eq 1 && -f $1 ]] || { echo "usage: render.sh REPORT.json" >&2; exit 2; }
jq -r '
  def n0: if . == null then "-" else (. | floor | tostring) end;
  def n2: if . == null then "-" else ((. * 100 | round) / 100 | tostring) end;
  def n1: if . == null then "-" else ((. * 10 | round) / 10 | tostring) end;
  def us: if . == null then "-" elif . < 1 then "<1 µs" elif . >= 10000 then "\(. / 1000 | floor) ms" else "\(. | floor) µs" end;
  def pct: if . == null then "-" else "\(. | floor)%" end;
  def cell: tostring | gsub("\\|"; "\\|") | gsub("\n"; " ");
  # A ratio next to its target: two decimals, three when two would round onto the target.
  def n2t($t): if . == null then "-" elif $t != null and . != $t and ((. * 100 | round) / 100) == $t then ((. * 1000 | round) / 1000 | tostring) else n2 end;
  # The rounds a median was taken over, e.g. " (rounds 0.88, 0.91, 0.95)".
  def rounds_note($t): if (. // []) | length > 1 then " (rounds \(map(n2t($t)) | join(", ")))" else "" end;
  # The ceiling sentence of a missed GetAccount target (empty when no ceiling applies).
  def ceiling_sentence:
    if .ceiling != null and .ceiling < .target then
      " **Not reachable here:** the target is above what a call doing none of the work of the service reaches through the same runtime path in this run, ceiling \(.target as $t | .ceiling | n2t($t))\(.target as $t | .ceiling_rounds | rounds_note($t)) (\(.ceiling_basis)), so it cannot be met on this machine by this measurement."
    elif .ceiling != null then
      " Reachable by this measurement: ceiling \(.target as $t | .ceiling | n2t($t))\(.target as $t | .ceiling_rounds | rounds_note($t)) (\(.ceiling_basis)) is at or above the target; the scenario reaches \(.value_of_ceiling * 100 | floor)% of the ceiling (\(.numerator) \(.numerator_qps | n0)/s vs \(.ceiling_numerator) \(.ceiling_numerator_qps | n0)/s)."
    elif .ceiling_reason != null then
      " Ceiling not measured (\(.ceiling_reason))."
    else "" end
    + if .grpc_bound != null and .grpc_bound < .target then
        " Nor could any other design: the bare gRPC no-op, with no Accord code at all and the same connections and streams, reaches only \(.target as $t | .grpc_bound | n2t($t)) of this baseline (\(.grpc_bound_basis))."
      else "" end;

  "# Accord performance report (\(.mode))",
  "",
  "\(.generated_at) · commit \(.build.commit)\(if .build.uncommitted_files > 0 then " + \(.build.uncommitted_files) uncommitted files" else "" end) · \(.build.cmake_build_type) build · \(.machine.nproc) cores (\(.machine.cpu_model)), \(.machine.memory)",
  (if .build.cmake_build_type != "Release" then "\n**Warning: not a Release build; the numbers mean little.**" else empty end),
  (if .mode == "smoke" then "\n**Smoke run: each scenario ran for \(.settings.duration_seconds) s. It shows the harness works, not how fast Accord is.**" else empty end),
  "",
  "## Missed targets",
  "",
  (if ((.ratios + .latency_targets) | map(select(.status == "MISSED")) | length) == 0 then "None." else
    (.latency_targets[] | select(.status == "MISSED") |
      "- **\(.title)**: \(.value_us | us) (target < \(.target_us | us)), p50 \(.p50_us | us); from the envelope time (taken inside the transaction, before the commit) p50 \(.envelope_p50_us | us), p99 \(.envelope_p99_us | us); creates paced at \(.paced_rate | n0)/s.\(if .floor_p99_us != null then (if .floor_below_target then " Reachable by this measurement: the floor (a no-op write of a trivial row and its event, delivered the same way at \(.floor_paced_rate | n0)/s; the lower p99 of a run just before the events and one just after) had p99 \(.floor_p99_us | us), p50 \(.floor_p50_us | us); the service is \(.value_us - .floor_p99_us | us) above it at p99." else " **Not reachable here:** the floor (a no-op write of a trivial row and its event, delivered the same way at \(.floor_paced_rate | n0)/s; the lower p99 of a run just before the events and one just after) had p99 \(.floor_p99_us | us), p50 \(.floor_p50_us | us), itself above the target, so it cannot be met on this machine by this measurement." end) + " Floor split: commit → relay p99 \(.floor_commit_to_relay_us.p99 | us), relay → subscriber p99 \(.floor_relay_to_subscriber_us.p99 | us)." else " No floor: \(.floor_reason // "not measured")." end)\(if .commit_to_relay_us.p99 != null then " Split at the relay'"'"'s stamp (the outbox row'"'"'s published_at): commit → relay p50 \(.commit_to_relay_us.p50 | us), p99 \(.commit_to_relay_us.p99 | us); relay → subscriber p50 \(.relay_to_subscriber_us.p50 | us), p99 \(.relay_to_subscriber_us.p99 | us)." else "" end)\(if .commit_probe_us.count > 0 then " PostgreSQL'"'"'s own commit at the same time (a one-row UPDATE in autocommit, paced by pgbench at \(.commit_probe_rate)/s; its WAL flush is inside the event latency too): p50 \(.commit_probe_us.p50 | us), p99 \(.commit_probe_us.p99 | us)." else "" end) Saturation: \(.saturation). The path: commit, NOTIFY, the relay'"'"'s pass (one statement, then XADD and an asynchronous COMMIT), the hand-over to the stream tail of the relay'"'"'s own process (or the tail'"'"'s XREAD, whichever comes first), the subscriber'"'"'s gRPC write; every hop is a thread wake-up on a machine whose cores the load also uses."),
    (.ratios[] | select(.status == "MISSED") |
      "- **\(.title)**: \(.target as $t | .value | n2t($t))\(.target as $t | .rounds | rounds_note($t)) (target ≥ \(.target)).\(ceiling_sentence) \(.numerator) \(.numerator_qps | n0)/s vs \(.denominator) \(.denominator_qps | n0)/s; service CPU \(.evidence.numerator.cpu_us_per_request | n0) µs/request, PostgreSQL CPU \(.evidence.numerator.postgres_cpu_us_per_request | n0) µs/request\(if .evidence.numerator.redis_cpu_us_per_request != null then ", Redis CPU \(.evidence.numerator.redis_cpu_us_per_request | n1) µs/request" else "" end)\(if .evidence.numerator.context_switches_per_request != null then ", \(.evidence.numerator.context_switches_per_request | n1) context switches of the service'"'"'s threads per request" else "" end)\(if .ceiling_cpu_us_per_request != null then " (the ceiling'"'"'s: service \(.ceiling_cpu_us_per_request | n0), PostgreSQL \(.ceiling_postgres_cpu_us_per_request | n0), Redis \(.ceiling_redis_cpu_us_per_request | n1))" else "" end), p99 \(.evidence.numerator.p99_us | us) vs \(.evidence.denominator.p99_us | us). Saturation: \(.evidence.numerator.saturation); baseline: \(.evidence.denominator.saturation). \(.note).")
  end),
  (if (.summary.failed | length) > 0 then "\n**FAILED scenarios** (a ratio involving them is invalid): \(.summary.failed | join(", "))" else empty end),
  "",
  "## Ratios (same run)",
  "",
  "Each ratio whose scenarios took turns in rounds is the median of the rounds'"'"' ratios (listed after it): every round ran the scenario and its baseline seconds apart, so a slowdown of the shared machine moves one round, not the verdict.",
  "",
  "Ceiling: the same ratio for a no-op served through the runtime path the GetAccount takes, over the same baseline, in this run: inline on gRPC'"'"'s thread for the warm read (a cache hit is answered there); for the Redis read, deferred to a batch loader that makes one MGET per batch of the same cache entries and answers them undecoded; for the cold read, the same loader looking the accounts up in the no-op'"'"'s own cache (in-process level, then one MGET; they miss), running the service'"'"'s own SELECT per batch of the same accounts and writing every row back to both cache levels as a cold read does, the rows undecoded (the same without the cache work is listed as an INFO ratio, so the write-back'"'"'s cost shows); the worker pool for a build without a cache. A call doing none of the work of the service reached that much; a target above it cannot be met on this machine by this measurement.",
  "",
  "| ratio | value | target | ceiling | status | Accord /s | baseline /s | note |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
  (.ratios[] | "| \(.title) | \(.target as $t | .value | n2t($t))\(.target as $t | .rounds | rounds_note($t)) | \(if .target then "≥ \(.target)" else "-" end) | \(.target as $t | .ceiling | n2t($t))\(.target as $t | .ceiling_rounds | rounds_note($t))\(if .ceiling_reason then " (" + (.ceiling_reason | cell) + ")" else "" end) | \(.status)\(if .reason then ": " + (.reason | cell) else "" end) | \(.numerator_qps | n0) | \(.denominator_qps | n0) | \(.note | cell) |"),
  "",
  "Latency targets:",
  "",
  "| target | value | p50 | target | floor p99 (same path, no service work) | status |",
  "| --- | --- | --- | --- | --- | --- |",
  (.latency_targets[] | "| \(.title) | \(.value_us | us) | \(.p50_us | us) | < \(.target_us | us) | \(if .floor_p99_us != null then (.floor_p99_us | us) else "- (" + ((.floor_reason // "not measured") | cell) + ")" end) | \(.status)\(if .reason then ": " + (.reason | cell) else "" end) |"),
  "",
  "## Scenarios",
  "",
  "Latency is measured by the client (h2load per-request log, accord-bench-h2load, accord-bench-load for events, pgbench per-transaction log, redis-benchmark). CPU per request is the process'"'"'s utime+stime delta over the calls its own counters saw (warm-up included). CPU % is of one core; machine % is of all \(.machine.nproc) cores and counts everything running on the machine, not only this benchmark.",
  "",
  "| scenario | driver | conns × streams | /s | p50 | p99 | service CPU/req | PG or Redis CPU/req | service CPU | PG CPU | client CPU | machine | status |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  (.scenarios[] |
    if .status == "NOT_AVAILABLE" then
      "| \(.name): \(.title | cell) | - | - | - | - | - | - | - | - | - | - | - | not available: \(.reason | cell) |"
    else
      "| \(.name): \(.title | cell) | \(.driver) | \(if .in_flight then "\(.connections) × \(.streams_per_connection)" elif .connections then "\(.connections)\(if .threads then " (-j \(.threads))" else "" end)" else "-" end) | \(.qps | n0) | \(.latency_us.p50 | us) | \(.latency_us.p99 | us) | \(.cpu_us_per_request | us) | \((.postgres_cpu_us_per_request // .redis_cpu_us_per_request) | us) | \(.resources.service_cpu_pct | if . == 0 then "-" else pct end) | \(.resources.postgres_cpu_pct | pct) | \(.client_cpu_pct | pct) | \(.resources.machine_busy_pct | pct) | \(.status)\(if (.reasons // []) | length > 0 then ": " + (.reasons | join("; ") | cell) else "" end) |"
    end),
  "",
  (.scenarios[] | select(.name == "events" and .status != "NOT_AVAILABLE") |
    "Events: \(.latency_events // 0) creates paced at \(.paced_rate | n0)/s (asked \(.paced_rate_target | n0)/s, half the create scenario'"'"'s rate); delivery \(.latency_from // "envelope") → subscriber p50 \(.latency_us.p50 | us), p99 \(.latency_us.p99 | us) (from the envelope time: p50 \(.envelope_latency_us.p50 // .latency_us.p50 | us), p99 \(.envelope_latency_us.p99 // .latency_us.p99 | us)); burst of \(.burst) creates at \(.burst_create_rate | n0)/s delivered at \(.qps | n0)/s.\(if (.commit_probe.latency_us.count // 0) > 0 then " PostgreSQL'"'"'s own commit beside the paced creates (one-row UPDATE, autocommit, \(.commit_probe.rate)/s): p50 \(.commit_probe.latency_us.p50 | us), p99 \(.commit_probe.latency_us.p99 | us)." else "" end)", ""),
  (.scenarios[] | select(.name == "get-warm" or .name == "get-redis" or .name == "get-postgres") | select(.cache_level) |
    "Cache level of \(.name): \(.cache_level) answered \(.cache_level_share * 100 | floor)% of calls (\(.cache_requests | tostring))."),
  "",
  "## Memory per process",
  "",
  "| process | idle RSS | peak RSS (VmHWM) |",
  "| --- | --- | --- |",
  (.processes[] | "| \(.name) | \(.idle_rss_kb / 1024 | n2) MiB | \(.peak_rss_kb / 1024 | n2) MiB |"),
  "",
  "## Not available in this build",
  "",
  (if (.summary.not_available | length) == 0 then "Nothing." else (.summary.not_available[] | "- \(.)") end),
  "",
  "## Run",
  "",
  "- Machine: \(.machine.host), \(.machine.nproc) cores, \(.machine.cpu_model), \(.machine.memory); load average at the end \(.machine.load_average_at_end)",
  (.machine.idle as $i | "- Idle before the scenarios (3 s, every process started, no load): machine \($i.machine_busy_pct | round)% busy, PostgreSQL \($i.postgres_cpu_pct | round)% of a core, the account service \($i.service_cpu_pct | round)%, Redis \($i.redis_cpu_pct | round)%\(if $i.machine_busy_pct > 10 or $i.postgres_cpu_pct > 3 then " (a background load that every scenario below carries)" else "" end)"),
  "- Versions: \(.versions.gxx); gRPC \(.versions.grpc); Protobuf \(.versions.protobuf); libpqxx \(.versions.libpqxx); \(.versions.postgres); \(.versions.redis); \(.versions.h2load); \(.versions.pgbench)",
  "- Load: \(.settings.connections) connections × \(.settings.streams_per_connection) streams for gRPC scenarios (h2load -t 1); \(.settings.warmup_seconds) s warm-up + \(.settings.duration_seconds) s measured each; scenarios compared in a ratio take turns in \(.settings.rounds) rounds of \(.settings.round_seconds) s (warm-up \(.settings.warmup_seconds) s in the first round, 1 s after), the others run once",
  "- Service: ACCORD_PG_POOL_SIZE=\(.settings.service_pg_pool_size) (pgbench -c \(.settings.service_pg_pool_size) -j 2 -M prepared), ACCORD_REDIS_POOL_SIZE=\(.settings.service_redis_pool_size) (redis-benchmark -c \(.settings.service_redis_pool_size)); ACCORD_LOG_LEVEL=info",
  "- Data: \(.settings.accounts_seeded) accounts for reads and lists, \(.settings.accounts_seeded) more for updates; list filter `\(.settings.list_filter)`; an Account response is \(.settings.account_response_bytes) bytes and the no-op answers with as many",
  "- PostgreSQL: \(if .settings.postgres_durable then "fsync and synchronous_commit on" else "fsync and synchronous_commit off (ephemeral)" end); outbox table: \(if .settings.outbox_table then "yes" else "no" end); cache: \(if .settings.cache_detected then "detected (\(.settings.cache_evidence))" else "not detected" end)",
  "- Everything (client, service, PostgreSQL, Redis) shares this machine'"'"'s cores, so absolute numbers are lower than on separate hosts; ratios compare runs made under the same conditions minutes apart."
' "$1"
