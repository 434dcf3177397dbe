# Merges one scenario's rounds (scripts/bench.sh writes one result per round; slurp them, in any
# order) into one result: calls, seconds and CPU are summed, rates and percentages are taken over
# the summed time, and `rounds` keeps each round's own rate for the report's per-round ratios.
# $latency: the percentiles over every round's calls (from their raw latencies), or null when the
# driver keeps none (redis-benchmark): then each percentile is the slowest round's.
sort_by(.round) as $rounds
| ($rounds[0]) as $first
| ($rounds[-1]) as $last
| def total(f): $rounds | map(f // 0) | add;
  def sum_by_key(f): reduce ($rounds[] | f // {} | to_entries[]) as $e ({}; .[$e.key] += $e.value);
  total(.resources.wall_seconds) as $wall
  | def over_wall(f): if $wall > 0 then total(f * .resources.wall_seconds) / $wall else 0 end;
  # Calls a CPU cost is spread over: the server's own OK count where there is a server.
  (if $first.server_ok_calls != null then total(.server_ok_calls) else total(.requests_done) end) as $calls
| $first
| del(.round, .latency_source)
| . + {
    rounds: ($rounds | map({round, status, qps, duration_seconds, requests_done,
                            latency_us: {p50: .latency_us.p50, p99: .latency_us.p99}})),
    status: (if all($rounds[]; .status == "OK") then "OK" else "FAILED" end),
    reasons: [$rounds[] | .round as $n | (.reasons // [])[] | "round \($n): \(.)"],
    duration_seconds: total(.duration_seconds),
    requests_done: total(.requests_done),
    qps: (if total(.duration_seconds) > 0 then total(.qps * .duration_seconds) / total(.duration_seconds) else 0 end),
    latency_us: ($latency // {
      count: total(.latency_us.count), p50: ($rounds | map(.latency_us.p50 // 0) | max),
      p90: ($rounds | map(.latency_us.p90 // 0) | max), p99: ($rounds | map(.latency_us.p99 // 0) | max),
      max: ($rounds | map(.latency_us.max // 0) | max), mean: ($rounds | map(.latency_us.mean // 0) | max) }),
    latency_merge: (if $latency != null then "every round's calls" else "the slowest round's percentiles" end),
    resources: {
      wall_seconds: $wall,
      service_cpu_seconds: total(.resources.service_cpu_seconds),
      postgres_cpu_seconds: total(.resources.postgres_cpu_seconds),
      redis_cpu_seconds: total(.resources.redis_cpu_seconds),
      service_context_switches: total(.resources.service_context_switches // 0),
      service_cpu_pct: (if $wall > 0 then 100 * total(.resources.service_cpu_seconds) / $wall else 0 end),
      postgres_cpu_pct: (if $wall > 0 then 100 * total(.resources.postgres_cpu_seconds) / $wall else 0 end),
      redis_cpu_pct: (if $wall > 0 then 100 * total(.resources.redis_cpu_seconds) / $wall else 0 end),
      machine_busy_pct: over_wall(.resources.machine_busy_pct) },
    client_cpu_pct: over_wall(.client_cpu_pct) }
| if $first.requests != null then .requests = total(.requests) else . end
| if $first.server_ok_calls != null then
    .server_ok_calls = total(.server_ok_calls)
    | .server_non_ok_calls = sum_by_key(.server_non_ok_calls)
  else . end
| if $first.warmup_non_ok_calls != null then .warmup_non_ok_calls = sum_by_key(.warmup_non_ok_calls) else . end
| if $first.cache_requests != null then .cache_requests = sum_by_key(.cache_requests) else . end
| if $first.cpu_us_per_request != null then
    .cpu_us_per_request = (if $calls > 0 then 1e6 * .resources.service_cpu_seconds / $calls else null end)
  else . end
| if $first.context_switches_per_request != null then
    .context_switches_per_request = (if $calls > 0 then .resources.service_context_switches / $calls else null end)
  else . end
| if $first.postgres_cpu_us_per_request != null then
    .postgres_cpu_us_per_request = (if $calls > 0 then 1e6 * .resources.postgres_cpu_seconds / $calls else null end)
  else . end
| if $first.redis_cpu_us_per_request != null then
    .redis_cpu_us_per_request = (if total(.requests_done) > 0 then 1e6 * .resources.redis_cpu_seconds / total(.requests_done) else null end)
  else . end
| if $first.rss_kb != null then .rss_kb = $last.rss_kb | .peak_rss_kb = ($rounds | map(.peak_rss_kb // 0) | max) else . end
