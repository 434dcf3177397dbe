# Builds report.json from the per-scenario results ($scenarios) and the run's facts (--arg/--argjson
# from scripts/bench.sh). Ratios compare QPS of an Accord scenario with its same-run baseline. When
# both took turns in rounds (each scenario's `rounds`), a ratio is the median of the rounds'
# ratios, each of two runs made seconds apart; otherwise it is the ratio of the two rates.
# A GetAccount ratio also gets a ceiling: the same ratio for a no-op served through the same
# runtime path (inline; deferred to a batch loader with one Redis MGET per batch for the Redis
# level, and that MGET and the service's SELECT for the PostgreSQL level; via the worker pool for a
# build without a cache), i.e. the best a call doing none of the
# service's work reached against the same baseline in this run. A target above its ceiling cannot be met on this machine
# by this measurement.

def by_name: reduce $scenarios[] as $s ({}; . + {($s.name): $s});

# Which side ran out of CPU, from the scenario's resource snapshot (percent of one core; the
# machine figure is percent of all cores).
def saturation:
  if .resources == null then null
  else .resources as $r
  | [ (if ($r.machine_busy_pct // 0) >= 90 then "machine CPU saturated (\($r.machine_busy_pct | floor)% of \($nproc) cores busy: client, service and servers share them)" else empty end),
      (if ($r.service_cpu_pct // 0) >= 90 then "service at \($r.service_cpu_pct | floor)% of a core" else empty end),
      (if ($r.postgres_cpu_pct // 0) >= 90 then "PostgreSQL at \($r.postgres_cpu_pct | floor)% of a core" else empty end),
      (if ($r.redis_cpu_pct // 0) >= 90 then "Redis at \($r.redis_cpu_pct | floor)% of a core" else empty end),
      (if (.client_cpu_pct // 0) >= 90 then "load generator at \(.client_cpu_pct | floor)% of a core" else empty end) ]
    | if length == 0 then "no CPU saturated (machine \($r.machine_busy_pct // 0 | floor)% busy): latency-bound (round trips, pool or lock waits)" else join("; ") end
  end;

def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
                   else (.[length / 2 - 1] + .[length / 2]) / 2 end;

# $a / $b of two OK scenarios with a positive rate: per round and their median when both ran in as
# many rounds, else the ratio of their rates.
def rate_ratio($a; $b):
  if ($a.rounds | length) > 0 and ($a.rounds | length) == ($b.rounds | length)
     and all($b.rounds[]; (.qps // 0) > 0) then
    [range(0; $a.rounds | length) as $i | ($a.rounds[$i].qps // 0) / $b.rounds[$i].qps] as $each
    | {value: ($each | median), rounds: $each}
  else {value: ($a.qps / $b.qps), rounds: null} end;

(by_name) as $s
| ($scenarios | map(. + {saturation: saturation})) as $all
| ($all | reduce .[] as $x ({}; . + {($x.name): $x})) as $s
| $s as $runs
| ($cache != "") as $has_cache
# The ceiling of a ratio whose denominator is $den: $ceil is null (no ceiling applies) or
# {numerator: a no-op scenario, path: what that no-op stands for}. ceiling stays null, with a
# ceiling_reason, when either scenario did not run, was not available, FAILED or measured 0/s.
| def ceiling($den; $ceil):
    { ceiling: null, ceiling_rounds: null, ceiling_basis: null, ceiling_numerator: ($ceil.numerator // null),
      ceiling_numerator_qps: null, ceiling_reason: null, value_of_ceiling: null }
    + if $ceil == null then {}
      else ($s[$ceil.numerator]) as $cn | ($s[$den]) as $cd
        | if $cn == null or $cd == null then
            {ceiling_reason: "\([[$ceil.numerator, $cn], [$den, $cd]] | map(select(.[1] == null) | .[0]) | join(", ")) not run"}
          elif $cn.status != "OK" or $cd.status != "OK" then
            {ceiling_reason: ([$cn, $cd] | map(select(.status != "OK") | "\(.name) \(.status)") | join(", "))}
          elif ($cn.qps // 0) <= 0 or ($cd.qps // 0) <= 0 then
            {ceiling_reason: ([$cn, $cd] | map(select((.qps // 0) <= 0) | "\(.name) measured 0/s") | join(", "))}
          else rate_ratio($cn; $cd) as $r
            | { ceiling: $r.value, ceiling_rounds: $r.rounds, ceiling_numerator_qps: $cn.qps,
                ceiling_cpu_us_per_request: $cn.cpu_us_per_request,
                ceiling_postgres_cpu_us_per_request: $cn.postgres_cpu_us_per_request,
                ceiling_redis_cpu_us_per_request: $cn.redis_cpu_us_per_request,
                ceiling_basis: "\($ceil.numerator) \($cn.qps | floor)/s ÷ \($den) \($cd.qps | floor)/s\(if $r.rounds then ", median of \($r.rounds | length) rounds" else "" end): \($ceil.path)" }
          end
      end;
  # The gRPC limit over a read's baseline: the bare no-op (no Accord code at all) over $den.
  # No gRPC service, whatever its design, serves more of $den's rate on this machine.
  def grpc_bound($num; $den):
    ($s["noop-bare"]) as $b | ($s[$den]) as $d
    | if ($den == "redis-get" or $den == "pgbench-read") and $num != "noop-bare"
         and $b.status == "OK" and $d.status == "OK" and ($b.qps // 0) > 0 and ($d.qps // 0) > 0
      then rate_ratio($b; $d) as $r
        | {grpc_bound: $r.value,
           grpc_bound_basis: "noop-bare \($b.qps | floor)/s ÷ \($den) \($d.qps | floor)/s\(if $r.rounds then ", median of \($r.rounds | length) rounds measured at different times" else "" end)"}
      else {grpc_bound: null} end;
  def ratio($id; $title; $num; $den; $target; $note; $ceil):
    ($s[$num]) as $n | ($s[$den]) as $d
    | { id: $id, title: $title, numerator: $num, denominator: $den, target: $target, note: $note }
      + if $n == null or $d == null then {status: "NOT_AVAILABLE", reason: "scenario not run"}
        elif $n.status == "NOT_AVAILABLE" then {status: "NOT_AVAILABLE", reason: "\($num): \($n.reason)"}
        elif $d.status == "NOT_AVAILABLE" then {status: "NOT_AVAILABLE", reason: "\($den): \($d.reason)"}
        elif $n.status != "OK" or $d.status != "OK" then {status: "INVALID", reason: "a scenario FAILED: \([$n, $d] | map(select(.status != "OK") | .name) | join(", "))"}
        elif ($d.qps // 0) <= 0 then {status: "INVALID", reason: "baseline measured 0/s"}
        else rate_ratio($n; $d) as $r | $r.value as $v
          | { value: $v, rounds: $r.rounds, numerator_qps: $n.qps, denominator_qps: $d.qps,
              status: (if $target == null then "INFO" elif $v >= $target then "MET" else "MISSED" end),
              evidence: { ratio: $v,
                          numerator: {qps: $n.qps, p99_us: $n.latency_us.p99, cpu_us_per_request: $n.cpu_us_per_request,
                                      postgres_cpu_us_per_request: $n.postgres_cpu_us_per_request,
                                      redis_cpu_us_per_request: $n.redis_cpu_us_per_request,
                                      context_switches_per_request: $n.context_switches_per_request, saturation: $n.saturation},
                          denominator: {qps: $d.qps, p99_us: $d.latency_us.p99, cpu_us_per_request: ($d.cpu_us_per_request // $d.postgres_cpu_us_per_request // $d.redis_cpu_us_per_request),
                                        saturation: $d.saturation} } }
        end
      + ceiling($den; $ceil)
      + grpc_bound($num; $den)
      | if .value != null and .ceiling != null and .ceiling > 0 then . + {value_of_ceiling: (.value / .ceiling)} else . end;
  # The runtime paths a GetAccount can take: everything starts on gRPC's thread (answered there
  # from the in-process cache); a miss joins a batch that a loader thread reads from Redis and
  # PostgreSQL for many calls at once. A build without a cache hands every call to the worker pool.
  {numerator: "noop-runtime", path: "a GetAccount that did nothing but the runtime's inline path with its auth, request context, logging and metrics"} as $inline
  | {numerator: "noop-runtime-redis", path: "a GetAccount that did nothing but the Redis level's own path, on the same accounts and with the same client: the hop to the loader thread and one MGET per batch, the cached bytes answered without decoding"} as $deferred_redis
  | {numerator: "noop-runtime-pg", path: "a GetAccount that did nothing but the PostgreSQL level's own path, on the same accounts and with the same client: the hop to the loader thread, one MGET that misses and the service's own SELECT per batch, the rows answered without decoding"} as $deferred_pg
  | {numerator: "noop-runtime-pg-fill", path: "a GetAccount that did nothing but the PostgreSQL level's own path with its cache work, on the same accounts and with the same client: the hop to the loader thread, the cache lookup that misses (in-process level, then one MGET), the service's own SELECT and the write-back of every row to both cache levels (SET NX from the background fill thread) per batch, the rows answered without decoding"} as $deferred_pg_fill
  | {numerator: "noop-runtime-worker", path: "a GetAccount that did nothing but the worker-pool hop, on top of the runtime's auth, request context, logging and metrics"} as $worker
  | ([ ratio("get_warm_vs_noop"; "GetAccount (warm cache) / bare no-op"; "get-warm"; "noop-bare"; 0.85;
          (if $has_cache then "warm: one account read repeatedly, served from the cache"
           else "no cache in this build: every GetAccount reads PostgreSQL" end);
          (if $has_cache then $inline else $worker end)),
    ratio("get_redis_vs_redis"; "GetAccount from Redis (local level off) / redis-benchmark GET"; "get-redis"; "redis-get"; 0.6;
          "ACCORD_CACHE_LOCAL_ENTRIES=0, round robin over the seeded accounts (Redis filled by the Postgres pass); the service's cache counters confirm Redis answered"; $deferred_redis),
    (if $has_cache then
       ratio("get_postgres_vs_pgbench"; "GetAccount from PostgreSQL (cache cold) / pgbench read"; "get-postgres"; "pgbench-read"; 0.7;
             "each account read once with both cache levels empty; the service and its ceiling both write every row back to the cache (SET NX on Redis, pipelined by a background thread); unlike the ceiling, the service decodes the rows and encodes the accounts"; $deferred_pg_fill)
     else
       ratio("get_postgres_vs_pgbench"; "GetAccount from PostgreSQL / pgbench read"; "get-warm"; "pgbench-read"; 0.7;
             "no cache in this build, so the warm GetAccount scenario is the PostgreSQL case; pgbench replays the service's read transaction"; $worker)
     end),
    ratio("create_vs_pgbench"; "CreateAccount / pgbench of the same transaction"; "create"; "pgbench-create"; 0.8;
          ("pgbench replays the statements the service ran for a probe create"
           + (if $s["pgbench-create"].includes_outbox_insert then ", outbox insert included" else "; this build wrote no outbox row" end)); null),
    ratio("update_vs_pgbench"; "UpdateAccount / pgbench of the same transaction"; "update"; "pgbench-update"; 0.8;
          ("the service is driven by accord-bench-h2load (each call needs the account's current etag); pgbench replays the statements the service ran for a probe update"
           + (if $s["pgbench-update"].includes_outbox_insert then ", outbox insert included" else "; this build wrote no outbox row" end)); null),
    ratio("create_vs_pgbench_rt"; "CreateAccount / pgbench of the same transaction in the service's round trips"; "create"; "pgbench-create-rt"; null;
          "pgbench pipelines the statements as the service sends them (BEGIN with the first, the outbox insert with COMMIT), where the target's pgbench sends one per round trip: the service's own cost with round trips equal"; null),
    ratio("update_vs_pgbench_rt"; "UpdateAccount / pgbench of the same transaction in the service's round trips"; "update"; "pgbench-update-rt"; null;
          "pgbench pipelines the statements as the service sends them (BEGIN with the locking read, the outbox insert with COMMIT), where the target's pgbench sends one per round trip: the service's own cost with round trips equal"; null),
    ratio("relay_drain_vs_create"; "Outbox relay drain rate / CreateAccount rate"; "relay-drain"; "create"; 2;
          "the relay publishing a backlog vs the fastest rate creates add events; below 1 means a sustained create load outruns the relay"; null),
    ratio("runtime_vs_noop"; "No-op through Accord's runtime (inline) / bare no-op"; "noop-runtime"; "noop-bare"; null;
          "cost of auth, request context, logging and metrics"; null),
    ratio("runtime_load_vs_noop"; "No-op through the runtime (inline), driven by accord-bench-h2load / bare no-op (h2load)"; "noop-runtime-load"; "noop-bare"; null;
          "what the client of the Redis and PostgreSQL reads (distinct names per call) leaves of the machine"; null),
    ratio("runtime_redis_vs_redis"; "No-op deferred with one MGET per batch / redis-benchmark GET"; "noop-runtime-redis"; "redis-get"; null;
          "what the gathered-read hop and the Redis round trip leave of redis-benchmark's rate, with no work of the service's own"; null),
    ratio("runtime_pg_vs_pgbench"; "No-op deferred with one MGET and the service's SELECT per batch / pgbench read"; "noop-runtime-pg"; "pgbench-read"; null;
          "what the gathered-read hop and the Redis and PostgreSQL round trips leave of pgbench's rate, with no work of the service's own"; null),
    ratio("runtime_pg_fill_vs_pgbench"; "No-op deferred with the cache lookup, the service's SELECT and the cache write-back per batch / pgbench read"; "noop-runtime-pg-fill"; "pgbench-read"; null;
          "the line above plus the cache's work a cold read does (the in-process lookup and the write-back to both levels); the difference between the two is what filling the cache costs"; null),
    ratio("grpc_vs_redis"; "Bare gRPC no-op / redis-benchmark GET"; "noop-bare"; "redis-get"; null;
          "the gRPC limit over Redis's on this machine: no gRPC service, whatever its design, serves a larger share of redis-benchmark's rate (the two were measured in different rounds)"; null),
    ratio("runtime_worker_vs_noop"; "No-op through the runtime's worker pool / bare no-op"; "noop-runtime-worker"; "noop-bare"; null;
          "adds the hop to the worker pool that every database call takes"; null) ]
    # The ratios the section files under scripts/bench/scenarios/ declared (declare_ratio).
    + ($extra_ratios | map(ratio(.id; .title; .num; .den; .target; .note; null)))) as $ratios
# Latency targets: event delivery p99 from commit (or, without commit timestamps, from the envelope
# time, which is earlier) to the subscriber, at half the maximum create rate.
| ($s["events"]) as $ev
| ($s["events-floor"]) as $floor
| ([ { id: "event_delivery_p99", target_us: 5000 }
    + if $ev == null then {title: "Event delivery p99", status: "NOT_AVAILABLE", reason: "scenario not run"}
      elif $ev.status == "NOT_AVAILABLE" then {title: "Event delivery p99", status: "NOT_AVAILABLE", reason: $ev.reason}
      elif $ev.status != "OK" then {title: "Event delivery p99", status: "INVALID", reason: "the events scenario FAILED"}
      else
        { title: "Event delivery p99 (\($ev.latency_from) → subscriber)",
          value_us: $ev.latency_us.p99, p50_us: $ev.latency_us.p50,
          envelope_p50_us: $ev.envelope_latency_us.p50, envelope_p99_us: $ev.envelope_latency_us.p99,
          commit_to_relay_us: ($ev.commit_latency_us.commit_to_relay // null),
          relay_to_subscriber_us: ($ev.commit_latency_us.relay_to_subscriber // null),
          commit_probe_us: ($ev.commit_probe.latency_us // null), commit_probe_rate: ($ev.commit_probe.rate // null),
          paced_rate: $ev.paced_rate, saturation: $ev.saturation,
          status: (if $ev.latency_us.p99 == null then "INVALID" elif $ev.latency_us.p99 < 5000 then "MET" else "MISSED" end) }
        # The floor: the same delivery for a write with no work of the service's (events-floor).
        + if $floor == null then {floor_reason: "the floor scenario did not run"}
          elif $floor.status != "OK" then {floor_reason: "the floor scenario FAILED: \($floor.reasons | join("; "))"}
          else { floor_p50_us: $floor.latency_us.p50, floor_p99_us: $floor.latency_us.p99,
                 floor_paced_rate: $floor.paced_rate,
                 floor_commit_to_relay_us: ($floor.commit_latency_us.commit_to_relay // null),
                 floor_relay_to_subscriber_us: ($floor.commit_latency_us.relay_to_subscriber // null),
                 floor_below_target: ($floor.latency_us.p99 < 5000) }
          end
      end ]
  # The p99 targets the section files declared (declare_latency_target).
  + ($extra_latency | map(. as $t | ($s[$t.scenario]) as $x
      | {id: $t.id, title: $t.title, target_us: $t.target_us, scenario: $t.scenario}
        + if $x == null then {status: "NOT_AVAILABLE", reason: "scenario not run"}
          elif $x.status == "NOT_AVAILABLE" then {status: "NOT_AVAILABLE", reason: $x.reason}
          elif $x.status != "OK" then {status: "INVALID", reason: "\($t.scenario) FAILED"}
          elif $x.latency_us.p99 == null then {status: "INVALID", reason: "\($t.scenario) has no p99"}
          else {value_us: $x.latency_us.p99, p50_us: $x.latency_us.p50, saturation: $x.saturation,
                status: (if $x.latency_us.p99 < $t.target_us then "MET" else "MISSED" end)}
          end))) as $latency_targets
| ($order | map($runs[.]) | map(select(. != null))) as $ordered
| ($ordered | map(select(.status == "FAILED") | .name)) as $failed
| ($ratios | map(select(.status == "MISSED"))) as $missed
| {
    generated_at: $date, mode: $mode,
    machine: { host: $host, nproc: $nproc, cpu_model: $cpu, memory: $mem, load_average_at_end: $load,
               idle: $idle },
    build: { commit: $commit, uncommitted_files: ($dirty | tonumber? // 0), cmake_build_type: $build_type },
    versions: { gxx: $gxx, grpc: $grpc, protobuf: $protobuf, libpqxx: $pqxx, postgres: $postgres,
                redis: $redis, h2load: $h2load, pgbench: $pgbench },
    settings: { duration_seconds: $duration, warmup_seconds: $warmup, accounts_seeded: $accounts,
                rounds: $rounds, round_seconds: $round_seconds,
                connections: $connections, streams_per_connection: $streams,
                service_pg_pool_size: $pg_pool, service_redis_pool_size: $redis_pool,
                postgres_durable: ($durable == 1), outbox_table: ($has_outbox == "t"),
                cache_detected: $has_cache, cache_evidence: $cache,
                account_response_bytes: $account_bytes, list_filter: $list_filter },
    processes: $processes,
    ratios: $ratios,
    latency_targets: $latency_targets,
    scenarios: $ordered,
    summary: {
      failed: $failed,
      missed: (($missed | map(.id)) + ($latency_targets | map(select(.status == "MISSED") | .id))),
      not_available: (($ordered | map(select(.status == "NOT_AVAILABLE") | "\(.name): \(.reason)"))),
      lines: ([ "scenarios: \($ordered | map(select(.status == "OK")) | length) OK, \($failed | length) FAILED, \($ordered | map(select(.status == "NOT_AVAILABLE")) | length) not available" ]
              + ($ratios | map("\(.title): " + (if .value != null then "\(.value * 100 | round / 100)" else "-" end)
                                 + (if .target != null then " (target >= \(.target)" + (if .ceiling != null then ", ceiling \(.ceiling * 100 | round / 100)" else "" end) + ") " else " " end) + .status
                                 + (if .reason then " — \(.reason)" else "" end)))
              + ($latency_targets | map("\(.title): " + (if .value_us != null then "\(.value_us / 1000 * 100 | round / 100) ms" else "-" end)
                                        + " (target < \(.target_us / 1000) ms" + (if .floor_p99_us != null then ", floor \(.floor_p99_us / 1000 * 100 | round / 100) ms" else "" end) + ") \(.status)" + (if .reason then " — \(.reason)" else "" end))))
    }
  }
