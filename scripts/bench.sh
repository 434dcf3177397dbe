#!/usr/bin/env bash
# Performance report with baselines measured in the same run. Builds Release (scripts/build.sh),
# starts its own PostgreSQL and Redis on free loopback ports (data under .bench/), migrates and
# starts the account service and the no-op baseline servers, seeds accounts, runs every scenario
# and writes .bench/report.md and .bench/report.json. A full run takes about 6 minutes on 2
# cores (plus the build); nothing it starts outlives it.
#
#   --smoke              every scenario for ~2 s (the ctest `bench_smoke` runs this)
#   --no-build           use what is in the build directory (still checks packages)
#   --keep               leave the servers running at the end (stop: scripts/bench.sh --stop)
#   --stop               stop servers a --keep run left behind, then exit
#   --only=SECTIONS      only these sections (comma list): `account` (the account service's
#                        scenarios and their baselines) and each file of scripts/bench/scenarios/
#                        by name (contact, pricing, ...); the no-op baselines start either way
#   --scale              instead of the scenarios: ListAccounts with every documented filter at
#                        BENCH_SCALE_ROWS accounts (default 1 000 000), one call at a time, with
#                        plans (scripts/bench/scale.sh; not in CI: seeding takes minutes)
#   BENCH_SCALE_KEEP=DIR with --scale: PostgreSQL's data lives in DIR/pg and outlives the run; a
#                        resource seeded there before (same rows, same seed files) is timed
#                        again without seeding (migrations still apply); a changed seed is
#                        refused (remove DIR to seed again). Also needed by --stop after --keep.
#                        Relative to the checkout; e.g. .bench/keep, which git ignores and which
#                        runs leave alone (they clear only their own parts of BENCH_DIR).
#   BUILD_DIR            build directory (default build)
#   BENCH_DIR            state, logs and reports (default .bench)
#   BENCH_DURATION       measured seconds per scenario (default 15; --smoke 2)
#   BENCH_WARMUP         unmeasured seconds before each (default 3; --smoke 1)
#   BENCH_ROUNDS         rounds a ratio's scenarios take turns in (default 3; --smoke 1): each
#                        round runs them one after the other for BENCH_DURATION / BENCH_ROUNDS s,
#                        and a ratio is the median of its rounds' ratios
#   BENCH_CONNECTIONS    client connections (default 4)   BENCH_STREAMS  streams per connection (8)
#   BENCH_ACCOUNTS       accounts seeded for reads and again for updates (default 50000; smoke 2000)
#   BENCH_PG_POOL_SIZE   the service's ACCORD_PG_POOL_SIZE (default 8; pgbench uses as many)
#   BENCH_REDIS_POOL_SIZE  the service's ACCORD_REDIS_POOL_SIZE (default 8; redis-benchmark too)
#   BENCH_PG_DURABLE     1 fsync and synchronous_commit on, as in production (default; --smoke: 0)
#
# Exits 0 when the report was written and no scenario FAILED (a missed target is not a failure),
# 1 otherwise. Scenarios, targets and method: docs/performance.md.
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source-path=SCRIPTDIR source=lib/servers.sh
source "$ROOT/scripts/lib/servers.sh"

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$ROOT/scripts/bench.sh"; }

SMOKE=0 BUILD=1 KEEP=0 STOP_ONLY=0 SCALE=0 ONLY=""
for arg in "$@"; do
  case $arg in
    --only=*) ONLY=${arg#--only=} ;;
    --smoke) SMOKE=1 ;;
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    --stop) STOP_ONLY=1 ;;
    --scale) SCALE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR
[[ $BUILD_DIR == /* ]] || BUILD_DIR="$ROOT/$BUILD_DIR"
BENCH_DIR=${BENCH_DIR:-.bench}
[[ $BENCH_DIR == /* ]] || BENCH_DIR="$ROOT/$BENCH_DIR"
if ((SMOKE)); then
  DURATION=${BENCH_DURATION:-2} WARMUP=${BENCH_WARMUP:-1} ACCOUNTS=${BENCH_ACCOUNTS:-2000}
  EVENTS=20 EVENT_RATE=50 EVENT_SECONDS=2 EVENT_BURST=200 RELAY_BACKLOG=1000
else
  DURATION=${BENCH_DURATION:-15} WARMUP=${BENCH_WARMUP:-3} ACCOUNTS=${BENCH_ACCOUNTS:-$((SCALE ? 100 : 50000))}
  EVENTS=200 EVENT_RATE=50 EVENT_SECONDS=10 EVENT_BURST=2000 RELAY_BACKLOG=20000
fi
ROUNDS=${BENCH_ROUNDS:-$((SMOKE ? 1 : 3))}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: BENCH_ROUNDS must be a positive integer" >&2; exit 2; }
CONNECTIONS=${BENCH_CONNECTIONS:-4}
STREAMS=${BENCH_STREAMS:-8}
PG_POOL=${BENCH_PG_POOL_SIZE:-8}
REDIS_POOL=${BENCH_REDIS_POOL_SIZE:-8}
PG_DURABLE=${BENCH_PG_DURABLE:-$((SMOKE ? 0 : 1))}
LIST_FILTER='lifecycle_stage = ACTIVE AND type = COMMERCIAL'

say() { printf '[bench] %s\n' "$*" >&2; }
section_enabled() { [[ -z $ONLY || ,$ONLY, == *",$1,"* ]]; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

PG_DIR="$BENCH_DIR/pg"
# BENCH_SCALE_KEEP: the scale mode's database kept between runs (scripts/bench/scale.sh).
KEPT_DB=""
if ((SCALE || STOP_ONLY)) && [[ -n ${BENCH_SCALE_KEEP:-} ]]; then
  mkdir -p -- "$BENCH_SCALE_KEEP/pg"
  KEPT_DB=$(cd -- "$BENCH_SCALE_KEEP" && pwd -P)
  PG_DIR="$KEPT_DB/pg"
  # The unprivileged PostgreSQL user (when we are root) must reach DIR/pg.
  chmod 0711 "$KEPT_DB"
fi
REDIS_DIR="$BENCH_DIR/redis"
LOG_DIR="$BENCH_DIR/logs"
RUN_DIR="$BENCH_DIR/run"
WORK="$BENCH_DIR/work"
RESULTS="$BENCH_DIR/results"

# --- stopping what we started ---------------------------------------------------------------------
# Every process this script starts is recorded as RUN_DIR/<name>.pid (+ its binary name, to guard
# against reused pids) and stopped here by that pid only.
stop_recorded() {
  local file name pid
  for file in "$RUN_DIR"/*.pid; do
    [[ -e $file ]] || continue
    name=$(basename -- "$file" .pid)
    read -r pid _ <"$file" || true
    if _accord_pid_matches "$pid" "$(sed -n 2p "$file")"; then
      kill -TERM "$pid" 2>/dev/null || true
      _accord_wait_pid_gone "$pid" 15 || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f -- "$file"
    : "$name"
  done
  stop_redis "$REDIS_DIR" 2>/dev/null || true
  stop_postgres "$PG_DIR" 2>/dev/null || true
}

if ((STOP_ONLY)); then
  stop_recorded
  say "stopped"
  exit 0
fi

# --- packages and build ---------------------------------------------------------------------------
if ((BUILD)); then
  CMAKE_BUILD_TYPE=Release ACCORD_BUILD_BENCH=ON "$ROOT/scripts/build.sh"
else
  "$ROOT/scripts/deps.sh"
fi
# Tools only the benchmark needs (deps.sh installs nghttp2-client, redis-tools, postgresql).
missing=()
for tool in jq:jq curl:curl; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  sudo=()
  [[ $EUID -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >&2
fi
for tool in h2load pgbench redis-benchmark redis-cli jq curl ps; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (scripts/deps.sh installs it)"
done
ACCOUNT_BIN="$BUILD_DIR/services/account/accord-account"
ACCORDCTL="$BUILD_DIR/services/accordctl/accordctl"
FRAME="$BUILD_DIR/services/bench/accord-grpc-frame"
NOOP="$BUILD_DIR/services/bench/accord-noop-server"
LOAD="$BUILD_DIR/services/bench/accord-bench-load"
H2LOAD="$BUILD_DIR/services/bench/accord-bench-h2load"
for bin in "$ACCOUNT_BIN" "$ACCORDCTL" "$FRAME" "$NOOP" "$LOAD" "$H2LOAD"; do
  [[ -x $bin ]] || die "$bin is not built (run without --no-build, or build it)"
done
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)

# shellcheck source-path=SCRIPTDIR source=bench/lib.sh
source "$ROOT/scripts/bench/lib.sh"

# --- fresh state ----------------------------------------------------------------------------------
mkdir -p "$BENCH_DIR"
stop_recorded  # anything a previous, interrupted run left
[[ -n $KEPT_DB ]] || rm -rf -- "$PG_DIR"
rm -rf -- "$REDIS_DIR" "$WORK" "$RESULTS" "$RUN_DIR"
mkdir -p "$LOG_DIR" "$RUN_DIR" "$WORK" "$RESULTS" "$RESULTS/rounds"
rm -f -- "$LOG_DIR"/*.log "$BENCH_DIR/report.md" "$BENCH_DIR/report.json"
# The unprivileged PostgreSQL user (when we are root) must reach .bench/pg and its log.
chmod 0711 "$BENCH_DIR"
chmod 0755 "$LOG_DIR"

# shellcheck disable=SC2317  # called through trap
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if ((KEEP)); then
    say "--keep: servers left running; stop them with scripts/bench.sh --stop"
  else
    stop_recorded
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts NAME (a binary plus args) in the background with ENV... and records its pid.
#   start_process NAME LOG ENV_ARRAY_NAME BIN ARGS...
start_process() {
  local name=$1 log=$2 env_name=$3 bin=$4
  shift 4
  local -n env_ref=$env_name
  env "${env_ref[@]}" "$bin" "$@" </dev/null >>"$log" 2>&1 &
  local pid=$!
  printf '%s\n%s\n' "$pid" "$(basename -- "$bin")" >"$RUN_DIR/$name.pid"
  echo "$pid"
}

wait_grpc_healthy() {  # PORT PID LOG: until grpc.health.v1 answers SERVING
  local port=$1 pid=$2 log=$3 deadline=$((SECONDS + 60))
  until "$ACCORDCTL" health --service account --addr "127.0.0.1:$port" >/dev/null 2>&1; do
    if ! _accord_pid_alive "$pid"; then
      tail -n 30 "$log" >&2 || true
      die "process $pid exited during start-up (log: $log)"
    fi
    ((SECONDS < deadline)) || die "not healthy after 60 s on port $port (log: $log)"
    sleep 0.2
  done
}

wait_port() {  # PORT PID LOG: until the port accepts connections
  local port=$1 pid=$2 log=$3 deadline=$((SECONDS + 30))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    _accord_pid_alive "$pid" || { tail -n 30 "$log" >&2; die "process $pid exited (log: $log)"; }
    ((SECONDS < deadline)) || die "port $port not open after 30 s (log: $log)"
    sleep 0.1
  done
}

start_with_retries() {  # FUNCTION DIR: prints the port
  local what=$1 dir=$2 attempt port
  for attempt in 1 2 3; do
    port=$(free_loopback_port)
    if "$what" "$dir" "$port" >&2; then
      printf '%s\n' "$port"
      return 0
    fi
    say "attempt $attempt to start $what on port $port failed"
  done
  return 1
}

# --- PostgreSQL and Redis -------------------------------------------------------------------------
start_bench_postgres() {
  if ((PG_DURABLE)); then
    start_postgres --log "$LOG_DIR/postgres.log" "$@"
  else
    start_postgres --ephemeral --log "$LOG_DIR/postgres.log" "$@"
  fi
}
start_bench_redis() { start_redis --log "$LOG_DIR/redis.log" "$@"; }
say "starting PostgreSQL and Redis (data: ${BENCH_DIR#"$ROOT"/})"
PG_PORT=$(start_with_retries start_bench_postgres "$PG_DIR") || die "PostgreSQL did not start"
REDIS_PORT=$(start_with_retries start_bench_redis "$REDIS_DIR") || die "Redis did not start"
PG_POSTMASTER=$(head -n 1 "$PG_DIR/postmaster.pid")
REDIS_PID=$(redis_pid "$REDIS_DIR")
PG_BIN=$(pg_bin_dir)
psql_db() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"
}
# Commit timestamps let the events scenario measure delivery from the commit itself (the envelope
# time is taken inside the transaction, before COMMIT waits for its fsync).
psql_db -d postgres -c "ALTER SYSTEM SET track_commit_timestamp = on" >/dev/null
# Every autovacuum and autoanalyze in the log, with its time, to set against the scenarios'.
psql_db -d postgres -c "ALTER SYSTEM SET log_autovacuum_min_duration = 0" >/dev/null
stop_postgres "$PG_DIR" >&2
start_bench_postgres "$PG_DIR" "$PG_PORT" >&2 || die "PostgreSQL did not restart on port $PG_PORT"
PG_POSTMASTER=$(head -n 1 "$PG_DIR/postmaster.pid")
[[ $(psql_db -d postgres -tAc "SELECT count(*) FROM pg_database WHERE datname = 'accord'") == 1 ]] \
  || psql_db -d postgres -c "CREATE DATABASE accord" >/dev/null
PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/accord"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT"

# --- services -------------------------------------------------------------------------------------
JWT_SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
PAGE_SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
service_env() {  # GRPC_PORT METRICS_PORT: the ACCORD_* settings, as scripts/up.sh sets them
  SERVICE_ENV=(
    "ACCORD_GRPC_ADDRESS=127.0.0.1:$1"
    "ACCORD_METRICS_ADDRESS=127.0.0.1:$2"
    "ACCORD_PG_URL=$PG_URL"
    "ACCORD_REDIS_URL=$REDIS_URL"
    "ACCORD_PG_POOL_SIZE=$PG_POOL"
    "ACCORD_REDIS_POOL_SIZE=$REDIS_POOL"
    "ACCORD_JWT_ALGORITHM=HS256"
    "ACCORD_JWT_SECRET=$JWT_SECRET"
    "ACCORD_JWT_ISSUER=accord-dev"
    "ACCORD_JWT_AUDIENCE=accord"
    "ACCORD_PAGE_TOKEN_SECRET=$PAGE_SECRET"
    "ACCORD_LOG_LEVEL=info"
    "ACCORD_DRAIN_DELAY_MS=0"
    # Every load comes from one caller (one token) on 4 x 8 streams: the per-caller bound on
    # expensive calls (filtered Lists; 2 by default, for fairness between users) would refuse
    # most of the list scenario's calls, so it is raised to the load's concurrency; the process
    # bound (half the workers) still applies.
    "ACCORD_MAX_EXPENSIVE_CALLS_PER_CALLER=64"
    "${EXTRA_SERVICE_ENV[@]}"
  )
}
EXTRA_SERVICE_ENV=()  # extra ACCORD_* settings for the next launch
declare -A GRPC_PORT METRICS_PORT PID IDLE_RSS
# The cache whose counters a process's scenarios report (default: account). The cold read's
# ceiling fills the no-op's own cache, named after its service definition.
declare -A CACHE_NAME=([noop-runtime-pg-fill]=bench-noop)
FILL_KEYS='accord:cache:bench-noop:*'

# Starts a service-like process NAME and waits for it; fills GRPC_PORT/METRICS_PORT/PID/IDLE_RSS.
launch() {  # NAME health|port BIN ARGS...
  local name=$1 check=$2 bin=$3
  shift 3
  local g m log="$LOG_DIR/$name.log" pid
  # A section that starts its own NAME (insights starts its own contact) replaces the one started
  # before: its pid file is overwritten below, so the old process would outlive the run.
  stop_named "$name"
  g=$(free_loopback_port)
  m=$(free_loopback_port)
  while [[ $m == "$g" ]]; do m=$(free_loopback_port); done
  service_env "$g" "$m"
  local args=("$@")
  if [[ $name == noop-bare ]]; then
    args+=("--grpc-address=127.0.0.1:$g" "--metrics-address=127.0.0.1:$m")
  fi
  pid=$(start_process "$name" "$log" SERVICE_ENV "$bin" "${args[@]}")
  if [[ $check == health ]]; then
    wait_grpc_healthy "$g" "$pid" "$log"
  else
    wait_port "$g" "$pid" "$log"
  fi
  GRPC_PORT[$name]=$g METRICS_PORT[$name]=$m PID[$name]=$pid
  sleep 1  # settle: idle RSS after start-up, before any load
  IDLE_RSS[$name]=$(proc_rss_kb "$pid")
}

stop_named() {  # NAME: stop one recorded process (SIGTERM; the services drain)
  local file="$RUN_DIR/$1.pid" pid
  [[ -f $file ]] || return 0
  read -r pid _ <"$file"
  if _accord_pid_matches "$pid" "$(sed -n 2p "$file")"; then
    kill -TERM "$pid" 2>/dev/null || true
    _accord_wait_pid_gone "$pid" 20 || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f -- "$file"
}

say "migrating the account schema"
service_env 0 0
env "${SERVICE_ENV[@]}" "$ACCOUNT_BIN" migrate </dev/null >>"$LOG_DIR/account.log" 2>&1 \
  || { tail -n 20 "$LOG_DIR/account.log" >&2; die "account migrate failed"; }

say "seeding $ACCOUNTS accounts for reads and $ACCOUNTS for updates"
psql_db -d accord -f "$ROOT/scripts/bench/sql/setup.sql" >/dev/null
# A kept database (BENCH_SCALE_KEEP) holds them from its first run.
[[ -n $KEPT_DB && $(psql_db -d accord -tAc "SELECT count(*) FROM account.accounts
  WHERE id = public.bench_id(1)") == 1 ]] \
  || psql_db -d accord -v accounts="$ACCOUNTS" -f "$ROOT/scripts/bench/sql/seed.sql" >/dev/null
# Autovacuum would otherwise visit the freshly seeded tables in the middle of some scenario.
psql_db -d accord -c "VACUUM (ANALYZE) account.accounts" >/dev/null
# PostgreSQL checkpoints every 5 minutes (checkpoint_timeout), spreading its writes over most of
# that time, and a full run lasts about as long: a timed checkpoint once ran through the update
# rounds and the event scenario, whose p99 was 10 ms then against about 4 ms in runs without one.
# Checkpoints are taken here, before the write scenarios and before the events instead, so that
# none starts inside a scenario.
checkpoint() { psql_db -d accord -c CHECKPOINT >/dev/null; }
checkpoint
HAS_OUTBOX=$(psql_db -d accord -tAc "SELECT to_regclass('account.outbox') IS NOT NULL")
for ((i = ACCOUNTS + 1; i <= 2 * ACCOUNTS; i++)); do
  printf 'accounts/00000000-0000-7000-8000-%012x\n' "$i"
done >"$WORK/update-names.txt"
for ((i = 1; i <= ACCOUNTS; i++)); do
  printf 'accounts/00000000-0000-7000-8000-%012x\n' "$i"
done >"$WORK/read-names.txt"
GET_NAME=$(printf 'accounts/00000000-0000-7000-8000-%012x' 42)

if ((SCALE)); then
  # shellcheck source-path=SCRIPTDIR source=bench/scale.sh
  source "$ROOT/scripts/bench/scale.sh"
fi

say "starting the account service and the no-op baselines"
launch account health "$ACCOUNT_BIN"
launch noop-bare port "$NOOP" --response-bytes=0
TOKEN=$(env ACCORD_JWT_SECRET="$JWT_SECRET" ACCORD_JWT_ISSUER=accord-dev ACCORD_JWT_AUDIENCE=accord \
  "$ACCORDCTL" token --role admin --subject bench --ttl 2h)

# Frames for h2load. The no-op answers with as many bytes as a real Account, measured here.
"$FRAME" --type=get --name="$GET_NAME" --out="$WORK/get.bin"
"$FRAME" --type=list --page-size=50 --filter="$LIST_FILTER" --out="$WORK/list.bin"
"$FRAME" --type=create --display-name="Bench Account" --org-type=1 --out="$WORK/create.bin"
ACCOUNT_SVC=accord.account.v1.AccountService
NOOP_METHOD=accord.bench.v1.NoopService/Noop
H2_HEADERS=(-H 'content-type: application/grpc' -H 'te: trailers' -H "authorization: Bearer $TOKEN")
probe=$(h2load -n 1 -c 1 -m 1 -t 1 --data="$WORK/get.bin" "${H2_HEADERS[@]}" \
  "http://127.0.0.1:${GRPC_PORT[account]}/accord.account.v1.AccountService/GetAccount" 2>&1)
RESPONSE_BYTES=$(sed -nE 's/^traffic:.* \(([0-9]+)\) data$/\1/p' <<<"$probe")
[[ $RESPONSE_BYTES =~ ^[0-9]+$ && $RESPONSE_BYTES -gt 5 ]] \
  || die "could not read an account through GetAccount: $probe"
ACCOUNT_BYTES=$((RESPONSE_BYTES - 5))  # minus the gRPC length prefix
# Payload filler: the NoopResponse field costs 1 tag byte and 1-2 length bytes.
NOOP_PAYLOAD=$((ACCOUNT_BYTES > 130 ? ACCOUNT_BYTES - 3 : ACCOUNT_BYTES - 2))
REQUEST_BYTES=$(($(stat -c %s "$WORK/get.bin") - 5))
"$FRAME" --type=noop --payload-bytes=$((REQUEST_BYTES > 2 ? REQUEST_BYTES - 2 : 0)) \
  --out="$WORK/noop.bin"
stop_named noop-bare
launch noop-bare port "$NOOP" --response-bytes="$NOOP_PAYLOAD"
# The runtime no-ops get the tables every service has (outbox included), so their relay and
# stream tail idle as a real service's do instead of failing and reconnecting.
EXTRA_SERVICE_ENV=(ACCORD_MIGRATE_ON_START=true)
launch noop-runtime health "$NOOP" --accord-runtime --response-bytes="$NOOP_PAYLOAD"
launch noop-runtime-worker health "$NOOP" --accord-runtime --worker --response-bytes="$NOOP_PAYLOAD"
launch noop-runtime-redis health "$NOOP" --accord-runtime --deferred-redis \
  --response-bytes="$NOOP_PAYLOAD"
launch noop-runtime-pg health "$NOOP" --accord-runtime --deferred-pg --response-bytes="$NOOP_PAYLOAD"
launch noop-runtime-pg-fill health "$NOOP" --accord-runtime --deferred-pg-fill \
  --response-bytes="$NOOP_PAYLOAD"
launch noop-runtime-events health "$NOOP" --accord-runtime --outbox --response-bytes="$NOOP_PAYLOAD"
EXTRA_SERVICE_ENV=()

# --- the SQL the service runs, captured for pgbench -------------------------------------------------
# One probe call per mutation/read with log_statement=all; pgbench-from-log.pl turns the probe's
# transaction into a pgbench script, so the baselines replay exactly this build's statements.
capture_pgbench() {  # NAME FRAME METHOD MARKER SEEDED_ID SEEDED_EXPR [\set LINE]
  local name=$1 frame=$2 method=$3 marker=$4 seeded=$5 expr=$6 set_line=${7:-}
  local pglog="$LOG_DIR/postgres.log" offset
  psql_db -d postgres -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
  offset=$(stat -c %s "$pglog")
  h2load -n 1 -c 1 -m 1 -t 1 --data="$frame" "${H2_HEADERS[@]}" \
    "http://127.0.0.1:${GRPC_PORT[account]}/$method" >"$WORK/$name.probe.txt" 2>&1 || true
  sleep 0.5
  psql_db -d postgres -c "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null
  tail -c +$((offset + 1)) "$pglog" >"$WORK/$name.probe.log"
  perl "$ROOT/scripts/bench/pgbench-from-log.pl" "$WORK/$name.probe.log" "$marker" "$seeded" \
    "$expr" "$WORK/$name.body.sql" "$WORK/$name.defines" "$WORK/$name-rt.body.sql" \
    || die "could not derive the pgbench script for $name (probe log: $WORK/$name.probe.log)"
  # NAME.sql sends one statement per round trip; NAME-rt.sql pipelines them as the service does.
  local variant
  for variant in "$name" "$name-rt"; do
    { [[ -z $set_line ]] || echo "$set_line"; cat "$WORK/$variant.body.sql"; } >"$WORK/$variant.sql"
  done
  cp -- "$WORK/$name.defines" "$WORK/$name-rt.defines"
}
seeded_id() { printf '00000000-0000-7000-8000-%012x' "$1"; }
say "capturing the SQL of GetAccount, CreateAccount and UpdateAccount for pgbench"
# GetAccount is answered from the service's cache once an account was read (the size probe above
# read account 42): the probe reads a seeded account nothing has read yet, with its Redis key
# deleted, so neither cache level can answer it and PostgreSQL sees the read's own SQL.
PROBE_READ=$(seeded_id 43)
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" DEL "accord:cache:account:accounts/$PROBE_READ" >/dev/null
"$FRAME" --type=get --name="accounts/$PROBE_READ" --out="$WORK/probe-get.bin"
capture_pgbench pgbench-read "$WORK/probe-get.bin" "$ACCOUNT_SVC/GetAccount" "$PROBE_READ" \
  "$PROBE_READ" 'public.bench_id(:i)' '\set i random(1, :accounts)'
PROBE_NAME="bench-probe-$RANDOM$RANDOM"
"$FRAME" --type=create --display-name="$PROBE_NAME" --org-type=1 --out="$WORK/probe-create.bin"
capture_pgbench pgbench-create "$WORK/probe-create.bin" "$ACCOUNT_SVC/CreateAccount" \
  "$PROBE_NAME" none none
PROBE_UPDATE=$(seeded_id $((2 * ACCOUNTS + 1)))
"$FRAME" --type=update --name="accounts/$PROBE_UPDATE" --etag=1 --display-name="Bench Updated" \
  --out="$WORK/probe-update.bin"
capture_pgbench pgbench-update "$WORK/probe-update.bin" "$ACCOUNT_SVC/UpdateAccount" \
  "$PROBE_UPDATE" "$PROBE_UPDATE" 'public.bench_id(:i)' \
  '\set i random(:lo, :hi)'

# What the machine does with everything started and no load: a background cost (a process
# reconnecting in a loop, say) would otherwise hide inside every scenario's CPU per request.
say "idle check: 3 s with every process started and no load"
SERVICE_PID=${PID[account]}
snapshot_begin
sleep 3
IDLE_SNAPSHOT=$(snapshot_end)
say "idle: $(jq -r '"machine \(.machine_busy_pct | round)% busy, PostgreSQL \(.postgres_cpu_pct | round)% of a core, account \(.service_cpu_pct | round)%"' <<<"$IDLE_SNAPSHOT")"

# --- scenario runners -----------------------------------------------------------------------------
# Each writes RESULTS/<name>.json (in a round: RESULTS/rounds/<name>.<round>.json, which
# merge_rounds sums up). Scenario status: OK, FAILED (with reason) or NOT_AVAILABLE.
SCENARIO_ORDER=()

# Rounds. This machine's speed drifts by tens of percent within a minute (its cores are shared),
# so one run of a scenario and one of its baseline can land on different sides of a slowdown. The
# scenarios a ratio compares therefore take turns: round after round, each runs for
# DURATION / ROUNDS seconds right after the other, and the report takes the median of the rounds'
# ratios. Outside rounds (ROUND=0) a scenario runs once for DURATION.
ROUND=0 MEASURE=$DURATION WARM=$WARMUP
begin_round() {  # N: the first round warms up for WARMUP, the later ones (already warm) for 1 s
  ROUND=$1
  MEASURE=$((DURATION / ROUNDS > 0 ? DURATION / ROUNDS : 1))
  WARM=$((ROUND == 1 || WARMUP < 1 ? WARMUP : 1))
  say "round $ROUND of $ROUNDS (${MEASURE}s each)"
}
end_rounds() { ROUND=0 MEASURE=$DURATION WARM=$WARMUP; }
result_file() { if ((ROUND > 0)); then echo "$RESULTS/rounds/$1.$ROUND.json"; else echo "$RESULTS/$1.json"; fi; }
work_file() { if ((ROUND > 0)); then echo "$WORK/$1.r$ROUND"; else echo "$WORK/$1"; fi; }
register_scenario() { ((ROUND > 1)) || SCENARIO_ORDER+=("$1"); }

# Lines slice R of ROUNDS of FILE (the rounds of a scenario that uses each account once get
# disjoint accounts); the whole file outside rounds.
names_slice() {  # FILE
  if ((ROUND == 0)); then echo "$1"; return; fi
  local lines per
  lines=$(wc -l <"$1")
  per=$(((lines + ROUNDS - 1) / ROUNDS))
  awk -v from=$(((ROUND - 1) * per + 1)) -v to=$((ROUND * per)) 'NR >= from && NR <= to' "$1" \
    >"$1.r$ROUND"
  echo "$1.r$ROUND"
}

# RESULTS/rounds/<name>.*.json -> RESULTS/<name>.json for each NAME (scripts/bench/merge-rounds.jq),
# with the latency percentiles recomputed over every round's raw latencies where the driver keeps
# them.
merge_rounds() {  # NAME...
  local name files column latency raw
  for name; do
    files=("$RESULTS/rounds/$name".*.json)
    column=$(jq -s -r 'map(.latency_source.column // "none") | unique | if length == 1 then .[0] else "none" end' "${files[@]}")
    latency=null
    if [[ $column != none ]]; then
      mapfile -t raw < <(jq -r '.latency_source.files[]' "${files[@]}")
      latency=$(latency_json "$column" "${raw[@]}")
    fi
    jq -s --argjson latency "$latency" -f "$ROOT/scripts/bench/merge-rounds.jq" "${files[@]}" \
      >"$RESULTS/$name.json"
    report_line "$RESULTS/$name.json"
  done
}

not_available() {  # NAME TITLE REASON
  SCENARIO_ORDER+=("$1")
  jq -n --arg name "$1" --arg title "$2" --arg reason "$3" \
    '{name: $name, title: $title, status: "NOT_AVAILABLE", reason: $reason}' >"$RESULTS/$1.json"
  say "$1: not available: $3"
}

# A result of a scenario timed as a whole (ROWS rows in the snapshot's wall time), in the shape
# run_h2load writes, so that merge_rounds and the report read it alike: a bulk import, a call-list
# build and their psql baselines. FAILED when the driver exited non-zero or did no row.
rows_result() {  # NAME TITLE DRIVER ROWS SNAPSHOT EXIT_STATUS ERROR
  jq -n --arg name "$1" --arg title "$2" --arg driver "$3" --argjson rows "$4" --argjson snap "$5" \
    --arg exit "$6" --arg error "$7" --argjson round "$ROUND" '
    ([ (if $exit != "0" or $rows <= 0 then "\($driver) exited \($exit) after \($rows) rows: \($error)" else empty end) ]) as $reasons
    | { name: $name, round: $round, title: $title, driver: $driver,
        status: (if ($reasons | length) > 0 then "FAILED" else "OK" end), reasons: $reasons,
        duration_seconds: $snap.wall_seconds, requests_done: $rows,
        qps: (if $snap.wall_seconds > 0 then $rows / $snap.wall_seconds else 0 end),
        latency_us: {}, server_ok_calls: null, client_cpu_pct: 0,
        cpu_us_per_request: (if $rows > 0 then 1e6 * $snap.service_cpu_seconds / $rows else null end),
        postgres_cpu_us_per_request: (if $rows > 0 then 1e6 * $snap.postgres_cpu_seconds / $rows else null end),
        resources: $snap }' >"$(result_file "$1")"
  report_line "$(result_file "$1")"
}

# Verdict from the server's own counters: FAILED if any non-OK call, or fewer OK calls than the
# client reports done.
server_verdict() {  # BEFORE_JSON AFTER_JSON CLIENT_DONE
  jq -n --argjson b "$1" --argjson a "$2" --argjson done "$3" '
    ([$a | keys[] ] | unique) as $codes
    | (reduce $codes[] as $c ({}; . + {($c): (($a[$c] // 0) - ($b[$c] // 0))})) as $d
    | ($d | with_entries(select(.key != "OK" and .value > 0))) as $bad
    | { ok: ($d.OK // 0), non_ok: $bad,
        reasons: ([ (if ($bad | length) > 0 then "server counted non-OK calls: \($bad | tostring)" else empty end),
                    (if ($d.OK // 0) < $done then "server counted \($d.OK // 0) OK calls but the client finished \($done)" else empty end),
                    (if $done == 0 then "no request completed" else empty end) ]) }'
}

# Waits until METHOD's counters on SERVICE stop moving (calls cancelled when a client stopped are
# recorded when their handler finishes, a moment later); prints them.
settled_codes() {  # SERVICE METHOD
  local previous current i
  previous=$(rpc_codes "${METRICS_PORT[$1]}" "$2")
  for ((i = 0; i < 50; i++)); do
    sleep 0.1
    current=$(rpc_codes "${METRICS_PORT[$1]}" "$2")
    [[ $current == "$previous" ]] && break
    previous=$current
  done
  printf '%s\n' "$current"
}

# h2load against SERVICE's METHOD with FRAME. The warm-up runs for a duration (-D) and also sizes
# the measured run, which sends a fixed number of requests (-n): every one of them completes, so
# the server's counters must show exactly that many OK calls and nothing else. (A -D run would
# cancel the calls in flight when it stops, which the server rightly counts as CANCELLED.)
run_h2load() {  # NAME TITLE SERVICE METHOD FRAME
  local name=$1 title=$2 service=$3 method=$4 frame=$5
  local out log before after snap
  out="$(work_file "$name").h2load.txt" log="$(work_file "$name").h2load.log"
  local url="http://127.0.0.1:${GRPC_PORT[$service]}/$method" warm_rate requests warm_before
  register_scenario "$name"
  SERVICE_PID=${PID[$service]}
  warm_before=$(rpc_codes "${METRICS_PORT[$service]}" "$method")
  h2load -D "$WARM" -c "$CONNECTIONS" -m "$STREAMS" -t 1 --data="$frame" "${H2_HEADERS[@]}" \
    "$url" >"$out.warmup" 2>&1 || true
  warm_rate=$(h2load_json "$out.warmup" | jq '.rps | floor')
  requests=$(((warm_rate * MEASURE > 20 * CONNECTIONS * STREAMS) ? warm_rate * MEASURE : 20 * CONNECTIONS * STREAMS))
  say "$name: h2load -c $CONNECTIONS -m $STREAMS -n $requests (${WARM}s warm-up at $warm_rate/s)"
  rm -f -- "$log"
  before=$(settled_codes "$service" "$method")
  local cache_before cache_after
  cache_before=$(cache_counts "${METRICS_PORT[$service]}" "${CACHE_NAME[$service]:-account}")
  snapshot_begin
  set +e
  ( h2load -n "$requests" -c "$CONNECTIONS" -m "$STREAMS" -t 1 \
      --data="$frame" "${H2_HEADERS[@]}" --log-file="$log" "$url" >"$out" 2>&1
    echo "exit $?" >>"$out"
    times >"$out.times" )
  set -e
  snap=$(snapshot_end)
  after=$(settled_codes "$service" "$method")
  cache_after=$(cache_counts "${METRICS_PORT[$service]}" "${CACHE_NAME[$service]:-account}")
  local client latency verdict
  client=$(h2load_json "$out")
  latency=$(latency_json 3 "$log")
  verdict=$(server_verdict "$before" "$after" "$(jq .done <<<"$client")")
  jq -n --arg name "$name" --arg title "$title" --arg service "$service" --arg method "$method" \
    --argjson client "$client" --argjson latency "$latency" --argjson verdict "$verdict" \
    --argjson snap "$snap" --argjson c "$CONNECTIONS" --argjson m "$STREAMS" \
    --argjson round "$ROUND" --argjson w "$WARM" --argjson n "$requests" --arg log "$log" \
    --argjson warm "$(server_verdict "$warm_before" "$before" 0)" \
    --argjson client_cpu "$(times_children_seconds "$out.times")" \
    --argjson rss "$(proc_rss_kb "${PID[$service]}")" --argjson hwm "$(proc_hwm_kb "${PID[$service]}")" \
    --argjson cb "$cache_before" --argjson ca "$cache_after" \
    --arg exit "$(sed -n 's/^exit //p' "$out")" '
    ([ $verdict.reasons[],
       (if $exit != "0" then "h2load exited \($exit)" else empty end),
       (if ($client.failed + $client.errored + $client.timeout) > 0 then "h2load: \($client.failed) failed, \($client.errored) errored, \($client.timeout) timeout" else empty end),
       (if $client.status_other > 0 then "h2load: \($client.status_other) non-2xx HTTP responses" else empty end),
       (if $client.done != $n then "h2load finished \($client.done) of \($n) requests" else empty end) ]) as $reasons
    | { name: $name, round: $round, title: $title, driver: "h2load", service: $service, method: $method,
        connections: $c, streams_per_connection: $m, in_flight: ($c * $m),
        warmup_seconds: $w, requests: $n, duration_seconds: $snap.wall_seconds,
        latency_source: {files: [$log], column: 3},
        warmup_non_ok_calls: $warm.non_ok,
        status: (if ($reasons | length) > 0 then "FAILED" else "OK" end), reasons: $reasons,
        qps: $client.rps, requests_done: $client.done, latency_us: $latency,
        server_ok_calls: $verdict.ok, server_non_ok_calls: $verdict.non_ok,
        cpu_us_per_request: (if $verdict.ok > 0 then 1e6 * $snap.service_cpu_seconds / $verdict.ok else null end),
        postgres_cpu_us_per_request: (if $verdict.ok > 0 then 1e6 * $snap.postgres_cpu_seconds / $verdict.ok else null end),
        redis_cpu_us_per_request: (if $verdict.ok > 0 then 1e6 * $snap.redis_cpu_seconds / $verdict.ok else null end),
        context_switches_per_request: (if $verdict.ok > 0 then $snap.service_context_switches / $verdict.ok else null end),
        client_cpu_pct: (100 * $client_cpu / $snap.wall_seconds),
        cache_requests: ($cb | with_entries(.value = ($ca[.key] - .value))),
        resources: $snap, rss_kb: $rss, peak_rss_kb: $hwm }' >"$(result_file "$name")"
  report_line "$(result_file "$name")"
}

# accord-bench-h2load (h2load's way: one thread, HTTP/2 frames, but a different request per call;
# closed loop) against SERVICE. Runs for WARM + MEASURE seconds unless EXTRA_ARGS say otherwise
# (--once).
run_load() {  # NAME TITLE SERVICE METHOD MODE NAMES_FILE [EXTRA_ARGS...]
  local name=$1 title=$2 service=$3 method=$4 mode=$5 names=$6
  shift 6
  local out before after snap latencies
  out="$(work_file "$name").load.json" latencies="$(work_file "$name").latencies"
  [[ " $* " == *" --duration="* ]] || set -- "$@" --warmup="$WARM" --duration="$MEASURE"
  register_scenario "$name"
  say "$name: accord-bench-h2load --mode=$mode -c $CONNECTIONS -m $STREAMS $*"
  SERVICE_PID=${PID[$service]}
  before=$(rpc_codes "${METRICS_PORT[$service]}" "$method")
  local cache_before cache_after
  cache_before=$(cache_counts "${METRICS_PORT[$service]}" "${CACHE_NAME[$service]:-account}")
  snapshot_begin
  set +e
  ( "$H2LOAD" --mode="$mode" --target="127.0.0.1:${GRPC_PORT[$service]}" --token="$TOKEN" \
      --connections="$CONNECTIONS" --streams="$STREAMS" --names-file="$names" \
      --latency-file="$latencies" "$@" >"$out" 2>"$out.err"
    echo "$?" >"$out.exit"
    times >"$out.times" )
  set -e
  snap=$(snapshot_end)
  after=$(rpc_codes "${METRICS_PORT[$service]}" "$method")
  cache_after=$(cache_counts "${METRICS_PORT[$service]}" "${CACHE_NAME[$service]:-account}")
  local result verdict
  result=$(jq -c . "$out" 2>/dev/null) || result='{"calls_total":0,"measured_ok":0,"qps":0,"codes":{},"latency_us":{}}'
  verdict=$(server_verdict "$before" "$after" "$(jq '.calls_total // 0' <<<"$result")")
  jq -n --arg name "$name" --arg title "$title" --arg service "$service" --arg method "$method" \
    --argjson r "$result" --argjson verdict "$verdict" --argjson snap "$snap" \
    --argjson c "$CONNECTIONS" --argjson m "$STREAMS" --argjson client_cpu "$(times_children_seconds "$out.times")" \
    --arg exit "$(cat "$out.exit")" --arg err "$(tail -c 300 "$out.err")" \
    --argjson rss "$(proc_rss_kb "${PID[$service]}")" --argjson hwm "$(proc_hwm_kb "${PID[$service]}")" \
    --argjson cb "$cache_before" --argjson ca "$cache_after" \
    --argjson round "$ROUND" --arg latencies "$latencies" \
    --argjson extra "$(printf '%s\n' "$@" | jq -Rn '[inputs]')" '
    ([ $verdict.reasons[],
       (if $exit != "0" then "accord-bench-h2load exited \($exit): \($err)" else empty end),
       (($r.codes // {}) | to_entries[] | select(.key != "OK") | "client saw \(.value) \(.key) (first: \($r.first_error))") ]) as $reasons
    | { name: $name, round: $round, title: $title, driver: "accord-bench-h2load", driver_args: $extra,
        service: $service, method: $method, latency_source: {files: [$latencies], column: 1},
        connections: $c, streams_per_connection: $m, in_flight: ($c * $m),
        duration_seconds: $r.measured_seconds,
        status: (if ($reasons | length) > 0 then "FAILED" else "OK" end), reasons: $reasons,
        qps: $r.qps, requests_done: $r.calls_total, latency_us: $r.latency_us,
        server_ok_calls: $verdict.ok, server_non_ok_calls: $verdict.non_ok,
        cpu_us_per_request: (if $verdict.ok > 0 then 1e6 * $snap.service_cpu_seconds / $verdict.ok else null end),
        postgres_cpu_us_per_request: (if $verdict.ok > 0 then 1e6 * $snap.postgres_cpu_seconds / $verdict.ok else null end),
        redis_cpu_us_per_request: (if $verdict.ok > 0 then 1e6 * $snap.redis_cpu_seconds / $verdict.ok else null end),
        context_switches_per_request: (if $verdict.ok > 0 then $snap.service_context_switches / $verdict.ok else null end),
        client_cpu_pct: (100 * $client_cpu / $snap.wall_seconds),
        cache_requests: ($cb | with_entries(.value = ($ca[.key] - .value))),
        resources: $snap, rss_kb: $rss, peak_rss_kb: $hwm }' >"$(result_file "$name")"
  report_line "$(result_file "$name")"
}

# pgbench with the script capture_pgbench derived for NAME; DEFINEs (VAR=VALUE) are passed as -D.
run_pgbench() {  # NAME TITLE [DEFINE...]
  local name=$1 title=$2
  shift 2
  local sql="$WORK/$name.sql" out prefix snap line
  out="$(work_file "$name").pgbench.txt" prefix="$(basename -- "$(work_file "$name")").log"
  register_scenario "$name"
  local args=(-n -M prepared -c "$PG_POOL" -j 2 -D accounts="$ACCOUNTS")
  while IFS= read -r line; do args+=(-D "$line"); done <"$WORK/$name.defines"
  for line; do args+=(-D "$line"); done
  args+=(-f "$sql" -h 127.0.0.1 -p "$PG_PORT" -U postgres accord)
  say "$name: pgbench -M prepared -c $PG_POOL -j 2, ${WARM}s warm-up + ${MEASURE}s${*:+ ($*)}"
  # The service's session settings (see PgPool::Connect), so both sides plan alike.
  local -x PGOPTIONS="-c plan_cache_mode=force_generic_plan"
  pgbench "${args[@]}" -T "$WARM" >/dev/null 2>&1 || true
  rm -f -- "$WORK/$prefix".*
  SERVICE_PID=""
  snapshot_begin
  set +e
  ( cd "$WORK" && pgbench "${args[@]}" -T "$MEASURE" -l --log-prefix="$prefix" >"$out" 2>&1
    echo "exit $?" >>"$out"
    times >"$out.times" )
  set -e
  snap=$(snapshot_end)
  local client latency logs
  client=$(pgbench_json "$out")
  logs=("$WORK/$prefix".*)
  latency=$(latency_json 3 "${logs[@]}")
  jq -n --arg name "$name" --arg title "$title" --argjson client "$client" \
    --argjson latency "$latency" --argjson snap "$snap" --argjson pool "$PG_POOL" \
    --argjson round "$ROUND" --argjson logs "$(printf '%s\n' "${logs[@]}" | jq -Rn '[inputs]')" \
    --arg exit "$(sed -n 's/^exit //p' "$out")" \
    --arg outbox "$(grep -qi 'outbox' "$sql" && echo yes || echo no)" \
    --arg script "${sql#"$ROOT"/}" \
    --arg tail "$(tail -n 3 "$out")" \
    --argjson client_cpu "$(times_children_seconds "$out.times")" '
    ([ (if $exit != "0" then "pgbench exited \($exit): \($tail)" else empty end),
       (if $client.failed > 0 then "pgbench: \($client.failed) failed transactions" else empty end),
       (if $client.processed == 0 then "no transaction completed" else empty end) ]) as $reasons
    | { name: $name, round: $round, title: $title, driver: "pgbench", connections: $pool, threads: 2,
        duration_seconds: $snap.wall_seconds, includes_outbox_insert: ($outbox == "yes"), script: $script,
        latency_source: {files: $logs, column: 3},
        status: (if ($reasons | length) > 0 then "FAILED" else "OK" end), reasons: $reasons,
        qps: $client.tps, requests_done: $client.processed, latency_us: $latency,
        postgres_cpu_us_per_request: (if $client.processed > 0 then 1e6 * $snap.postgres_cpu_seconds / $client.processed else null end),
        client_cpu_pct: (100 * $client_cpu / $snap.wall_seconds),
        resources: $snap }' >"$(result_file "$name")"
  report_line "$(result_file "$name")"
}

run_redis_benchmark() {  # NAME TITLE
  local name=$1 title=$2 out snap requests previous
  out="$(work_file "$1").redis.csv"
  register_scenario "$name"
  # redis-benchmark has no duration flag: a request count sized to MEASURE seconds, from the
  # previous round's rate once there is one (40000/s before).
  previous="$RESULTS/rounds/$name.$((ROUND - 1)).json"
  if ((ROUND > 1)) && [[ -f $previous ]]; then
    requests=$(jq --argjson s "$MEASURE" '[.qps * $s, 10000] | max | floor' "$previous")
  else
    requests=$((40000 * MEASURE))
  fi
  say "$name: redis-benchmark GET -c $REDIS_POOL -n $requests -d $ACCOUNT_BYTES"
  # The keys first (SET), then the measured GETs of values as large as a cached account.
  ((ROUND > 1)) || redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -c "$REDIS_POOL" -n "$ACCOUNTS" \
    -r "$ACCOUNTS" -d "$ACCOUNT_BYTES" -t set -q >/dev/null 2>&1 || true
  SERVICE_PID=""
  snapshot_begin
  set +e
  ( redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -c "$REDIS_POOL" -n "$requests" -r "$ACCOUNTS" \
      -d "$ACCOUNT_BYTES" -t get --csv >"$out" 2>&1
    echo "$?" >"$out.exit"
    times >"$out.times" )
  set -e
  snap=$(snapshot_end)
  local client
  client=$(redis_benchmark_json "$out")
  jq -n --arg name "$name" --arg title "$title" --argjson client "$client" --argjson snap "$snap" \
    --argjson c "$REDIS_POOL" --argjson n "$requests" --arg exit "$(cat "$out.exit")" \
    --argjson round "$ROUND" \
    --argjson client_cpu "$(times_children_seconds "$out.times")" '
    ([ (if $exit != "0" then "redis-benchmark exited \($exit)" else empty end),
       (if $client.rps == 0 then "no GET result in redis-benchmark output" else empty end) ]) as $reasons
    | { name: $name, round: $round, title: $title, driver: "redis-benchmark", connections: $c, requests: $n,
        duration_seconds: $snap.wall_seconds,
        status: (if ($reasons | length) > 0 then "FAILED" else "OK" end), reasons: $reasons,
        qps: $client.rps, requests_done: $n,
        latency_us: { p50: (($client.p50_ms // 0) * 1000 | floor), p99: (($client.p99_ms // 0) * 1000 | floor),
                      max: (($client.max_ms // 0) * 1000 | floor), mean: (($client.avg_ms // 0) * 1000 | floor) },
        redis_cpu_us_per_request: (1e6 * $snap.redis_cpu_seconds / $n),
        client_cpu_pct: (100 * $client_cpu / $snap.wall_seconds),
        resources: $snap }' >"$(result_file "$name")"
  report_line "$(result_file "$name")"
}

report_line() {  # RESULT_FILE
  jq -r '"[bench] \(.name)\(if (.round // 0) > 0 then " (round \(.round))" elif .rounds then " (\(.rounds | length) rounds)" else "" end): \(.status)  \(.qps // 0 | floor) /s  p50 \(.latency_us.p50 // "-") us  p99 \(.latency_us.p99 // "-") us\(if (.reasons // []) | length > 0 then "  (" + (.reasons | join("; ")) + ")" else "" end)"' \
    "$1" >&2
}

# --- scenarios ------------------------------------------------------------------------------------
CACHE_EVIDENCE=""
if section_enabled account; then
# A ratio's scenarios take turns in rounds (see begin_round): the warm read with the bare and the
# runtime no-op; the cold read with pgbench's read; the Redis read with its no-op ceiling and
# redis-benchmark; the create and the update each with pgbench's transaction. Baselines measured
# together at the end of a run once moved a ratio by 0.4; a single run each, side by side, still
# moved them by 0.15.

for ((round = 1; round <= ROUNDS; round++)); do
  begin_round "$round"
  run_h2load noop-bare "No-op, bare gRPC callback server" noop-bare "$NOOP_METHOD" "$WORK/noop.bin"
  run_h2load noop-runtime "No-op through Accord's runtime (auth, logging, metrics; inline)" \
    noop-runtime "$NOOP_METHOD" "$WORK/noop.bin"
  run_h2load get-warm "GetAccount, one account, repeated (warm)" account "$ACCOUNT_SVC/GetAccount" \
    "$WORK/get.bin"
done
end_rounds
merge_rounds noop-bare noop-runtime get-warm
run_h2load noop-runtime-worker "No-op through Accord's runtime via the worker pool" \
  noop-runtime-worker "$NOOP_METHOD" "$WORK/noop.bin"
# The same client as the Redis and PostgreSQL reads below (accord-bench-h2load, distinct names),
# against the inline no-op: what those scenarios could reach if the service did no work at all.
run_load noop-runtime-load "No-op through Accord's runtime (inline), driven by accord-bench-h2load with GetAccount requests" \
  noop-runtime "$NOOP_METHOD" get "$WORK/read-names.txt" --method="/$NOOP_METHOD"

# A cache shows itself in the service's metrics or as keys in Redis besides the event streams.
CACHE_EVIDENCE=""
if curl -sf --max-time 5 "http://127.0.0.1:${METRICS_PORT[account]}/metrics" \
  | grep -v '^#' | grep -iE '^[a-z_:]*cache' | grep -qviE 'token|jwt|auth'; then
  CACHE_EVIDENCE="cache metrics on /metrics"
fi
cache_keys=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --scan 2>/dev/null | grep -cv '^accord\.events\.' || true)
if ((cache_keys > 0)); then
  CACHE_EVIDENCE="${CACHE_EVIDENCE:+$CACHE_EVIDENCE, }$cache_keys non-stream keys in Redis"
fi

# A GetAccount scenario measures a cache level only if the service's own cache counters show that
# level answered (nearly) every call; otherwise it FAILED (its ratio would describe another path).
expect_level() {  # NAME local|redis|postgres
  local file="$RESULTS/$1.json"
  jq --arg level "$2" '
    (.server_ok_calls // 0) as $calls | (.cache_requests // {}) as $c
    | (if $level == "local" then ($c.local_hit // 0)
       elif $level == "redis" then ($c.redis_hit // 0)
       else ($c.redis_miss // 0) end) as $served
    | . + {cache_level: $level, cache_level_share: (if $calls > 0 then $served / $calls else 0 end)}
    | if $calls > 0 and $served < 0.9 * $calls then
        .status = "FAILED"
        | .reasons += ["only \($served) of \($calls) calls were answered by the \($level) level (cache counters: \($c | tostring))"]
      else . end' "$file" >"$file.tmp"
  mv -- "$file.tmp" "$file"
  jq -r '"[bench] \(.name): \(.cache_level) level answered \(.cache_level_share * 1000 | round / 10)% of calls (\(.cache_requests | tostring))"' "$file" >&2
}

count_keys() {  # KEY_PATTERN
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --scan --pattern "$1" 2>/dev/null | wc -l
}
# NAME KEY_PATTERN KEYS_BEFORE: FAILED unless NAME's calls added a key for 90% of them.
expect_filled() {
  local file="$RESULTS/$1.json" keys
  keys=$(($(count_keys "$2") - $3))
  jq --argjson keys "$keys" --arg pattern "$2" '
    (.server_ok_calls // 0) as $calls
    | . + {cache_filled_keys: $keys}
    | if $calls > 0 and $keys < 0.9 * $calls then
        .status = "FAILED"
        | .reasons += ["its write-back added \($keys) keys matching \($pattern) in \($calls) calls"]
      else . end' "$file" >"$file.tmp"
  mv -- "$file.tmp" "$file"
  say "$1: its calls added $keys keys matching $2"
}

if [[ -n $CACHE_EVIDENCE ]]; then
  expect_level get-warm local
  say "cache detected ($CACHE_EVIDENCE): measuring the Redis and PostgreSQL levels over $ACCOUNTS distinct accounts"
  restart_account() {  # [ENV...]: a fresh process (empty local level) with extra settings
    EXTRA_SERVICE_ENV=("$@")
    stop_named account
    launch account health "$ACCOUNT_BIN"
    EXTRA_SERVICE_ENV=()
  }
  # PostgreSQL level: a fresh process (empty local level) and no cache keys in Redis; every
  # account is read once (each round reads its own slice of them), so every read misses both
  # levels.
  restart_account
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --scan --pattern 'accord:cache:*' 2>/dev/null \
    | xargs -r -n 500 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" DEL >/dev/null || true
  # Each measured account is read once, so the cold reads cannot warm up on them: both the service
  # (just restarted) and its no-op ceiling first read some of the update set once, unmeasured
  # (their connections open and their statements get planned, as every other scenario's warm-up
  # allows). Reads leave those accounts' versions alone.
  head -n $((ACCOUNTS < 5000 ? ACCOUNTS : 5000)) "$WORK/update-names.txt" >"$WORK/cold-warmup-names.txt"
  for target in "noop-runtime-pg /$NOOP_METHOD" "noop-runtime-pg-fill /$NOOP_METHOD" \
    "account /$ACCOUNT_SVC/GetAccount"; do
    read -r service method <<<"$target"
    "$H2LOAD" --mode=get --target="127.0.0.1:${GRPC_PORT[$service]}" --token="$TOKEN" \
      --connections="$CONNECTIONS" --streams="$STREAMS" --names-file="$WORK/cold-warmup-names.txt" \
      --method="$method" --once --warmup=0 --duration=600 >"$WORK/cold-warmup.$service.json" 2>&1 || true
  done
  fill_keys_before=$(count_keys "$FILL_KEYS")
  for ((round = 1; round <= ROUNDS; round++)); do
    begin_round "$round"
    slice=$(names_slice "$WORK/read-names.txt")
    # The PostgreSQL-level path without its work, on this round's accounts just before the
    # service reads them (so its MGET misses too): the gathered-read hop, one MGET and the
    # service's own SELECT per batch, the rows left undecoded. Its ratio over pgbench's read is
    # the ceiling of the cold GetAccount.
    run_load noop-runtime-pg "No-op deferred to a batch loader: one MGET (a miss) and the service's own SELECT per batch of the same accounts, answered undecoded" \
      noop-runtime-pg "$NOOP_METHOD" get "$slice" --method="/$NOOP_METHOD" --once --warmup=0 \
      --duration=600
    # The same path with the cache's work a cold read also does: the lookup through the no-op's
    # own cache (in-process level, then MGET) and the write-back of every row to both levels
    # (SET NX on Redis from the background fill thread). Its keys are the no-op's own, so the
    # service's reads below still miss. Its ratio over pgbench's read is the ceiling of the cold
    # GetAccount; the one without the write-back shows what the write-back costs.
    run_load noop-runtime-pg-fill "No-op deferred to a batch loader: the cache lookup (a miss), the service's own SELECT and the cache write-back per batch of the same accounts, answered undecoded" \
      noop-runtime-pg-fill "$NOOP_METHOD" get "$slice" --method="/$NOOP_METHOD" --once --warmup=0 \
      --duration=600
    run_load get-postgres "GetAccount, cache cold: each account once, both levels empty" account \
      "$ACCOUNT_SVC/GetAccount" get "$slice" --once --warmup=0 --duration=600
    run_pgbench pgbench-read "pgbench: GetAccount's transaction (random seeded account)"
  done
  end_rounds
  merge_rounds noop-runtime-pg noop-runtime-pg-fill get-postgres pgbench-read
  expect_level get-postgres postgres
  # The ceiling must have done the cache work it stands for: every lookup missed, and its
  # write-back left an entry for each account it read.
  expect_level noop-runtime-pg-fill postgres
  expect_filled noop-runtime-pg-fill "$FILL_KEYS" "$fill_keys_before"
  # Redis level: the local level switched off (ACCORD_CACHE_LOCAL_ENTRIES=0); Redis holds every
  # account the passes above read, so a round robin over them is answered by Redis alone.
  restart_account ACCORD_CACHE_LOCAL_ENTRIES=0
  for ((round = 1; round <= ROUNDS; round++)); do
    begin_round "$round"
    run_load get-redis "GetAccount from Redis (local level off), round robin over $ACCOUNTS accounts" \
      account "$ACCOUNT_SVC/GetAccount" get "$WORK/read-names.txt"
    # The Redis-level path without its work, on the same cache entries (they are filled now):
    # the gathered-read hop and one MGET per batch, the bytes answered undecoded. Its ratio over
    # redis-benchmark is the ceiling of the Redis-level GetAccount.
    run_load noop-runtime-redis "No-op deferred to a batch loader: one MGET per batch of the same accounts' cache entries, answered undecoded" \
      noop-runtime-redis "$NOOP_METHOD" get "$WORK/read-names.txt" --method="/$NOOP_METHOD"
    run_redis_benchmark redis-get "redis-benchmark: GET of an account-sized value"
  done
  end_rounds
  merge_rounds get-redis noop-runtime-redis redis-get
  expect_level get-redis redis
  # Back to the default configuration for the remaining scenarios.
  restart_account
else
  not_available get-redis "GetAccount from Redis (local level off)" "no cache in this build"
  not_available noop-runtime-redis "No-op deferred to a batch loader with one MGET per batch" \
    "no cache in this build, so no cache entries to read"
  not_available noop-runtime-pg "No-op deferred to a batch loader with one MGET and one SELECT per batch" \
    "no cache in this build, so no gathered reads"
  not_available noop-runtime-pg-fill "No-op deferred to a batch loader with the cache lookup, one SELECT and the write-back per batch" \
    "no cache in this build, so no gathered reads"
  run_pgbench pgbench-read "pgbench: GetAccount's transaction (random seeded account)"
  run_redis_benchmark redis-get "redis-benchmark: GET of an account-sized value"
fi

run_h2load list "ListAccounts, page_size 50, filter '$LIST_FILTER'" account \
  "$ACCOUNT_SVC/ListAccounts" "$WORK/list.bin"
checkpoint
for ((round = 1; round <= ROUNDS; round++)); do
  begin_round "$round"
  run_h2load create "CreateAccount (no request_id)" account "$ACCOUNT_SVC/CreateAccount" \
    "$WORK/create.bin"
  run_pgbench pgbench-create "pgbench: CreateAccount's transaction"
  run_pgbench pgbench-create-rt "pgbench: CreateAccount's transaction in the service's round trips (pipelined)"
done
end_rounds
merge_rounds create pgbench-create pgbench-create-rt
# Every account an update round sends starts at version 1 (accord-bench-h2load's etags count from
# there), so each round updates its own slice of the accounts, and pgbench updates the same slice
# after it.
update_slice_ids() {  # the seeded ids of this round's slice, as pgbench defines lo=... hi=...
  local per=$(((ACCOUNTS + ROUNDS - 1) / ROUNDS))
  local lo=$((ACCOUNTS + (ROUND - 1) * per + 1)) hi=$((ACCOUNTS + ROUND * per))
  echo "lo=$lo" "hi=$((hi < 2 * ACCOUNTS ? hi : 2 * ACCOUNTS))"
}
for ((round = 1; round <= ROUNDS; round++)); do
  begin_round "$round"
  run_load update "UpdateAccount (display_name), round robin over a round's share of $ACCOUNTS seeded accounts" \
    account "$ACCOUNT_SVC/UpdateAccount" update "$(names_slice "$WORK/update-names.txt")"
  # shellcheck disable=SC2046  # two words: lo=... hi=...
  run_pgbench pgbench-update "pgbench: UpdateAccount's transaction (random seeded account)" \
    $(update_slice_ids)
  # shellcheck disable=SC2046
  run_pgbench pgbench-update-rt "pgbench: UpdateAccount's transaction in the service's round trips (pipelined)" \
    $(update_slice_ids)
done
end_rounds
merge_rounds update pgbench-update pgbench-update-rt
# The writes above left the accounts and the outbox (which the relay stamps) full of dead rows,
# and autovacuum would visit them within its minute's nap, inside the event runs below: vacuumed
# here instead, before their checkpoint.
psql_db -d accord -c "VACUUM (ANALYZE) account.accounts$([[ $HAS_OUTBOX == t ]] && echo ", account.outbox")" >/dev/null
checkpoint

# Event stream: delivery latency and end-to-end throughput, then the relay on its own.
events_out="$WORK/events.json"
# The write scenarios (and their pgbench baselines, whose rows the relay publishes too) may have
# left the relay a backlog; the paced creates must not queue behind it.
unpublished() { psql_db -d accord -tAc "SELECT count(*) FROM account.outbox WHERE published_at IS NULL"; }
relay_backlog=0 relay_idle_wait=0
if [[ $HAS_OUTBOX == t ]]; then
  relay_backlog=$(unpublished)
  wait_started=$(date +%s.%N)
  for ((tries = 0; tries < 600; tries++)); do
    [[ $(unpublished) == 0 ]] && break
    sleep 0.1
  done
  relay_idle_wait=$(jq -n --argjson a "$wait_started" --argjson b "$(date +%s.%N)" '$b - $a')
  say "events: the relay had $relay_backlog rows to publish before them (waited ${relay_idle_wait%.*} s)"
fi
SCENARIO_ORDER+=(events)
# Delivery latency at half the maximum create rate (the create scenario's QPS): creates paced
# open-loop from $CONNECTIONS threads for about EVENT_SECONDS, then a burst as fast as they go.
CREATE_QPS=$(jq -r 'if .status == "OK" then .qps else 0 end | floor' "$RESULTS/create.json")
if ((CREATE_QPS >= 2)); then
  EVENT_RATE=$((CREATE_QPS / 2))
  EVENTS=$((EVENT_RATE * EVENT_SECONDS))
  ((EVENTS >= 20)) || EVENTS=20
fi
# Commit -> receipt per paced event: the commit timestamp of the row the write created (its xmin
# is the creating transaction; nothing updates these rows; the outbox row cannot serve, since the
# relay's stamp gives it a new xmin) against the subscriber's wall clock. The outbox row's
# published_at (the relay's stamp, taken during its statement) splits the path in two: commit ->
# the relay's pass, and the relay's pass -> the subscriber. Prints JSON, or null.
commit_latency_json() {  # RECEIPTS ROW_JOIN OUTBOX_TABLE EVENT_TYPE ERROR_FILE
  local receipts=$1 row_join=$2 outbox=$3 type=$4 error_file=$5 json
  json=$(psql_db -d accord -tA 2>"$error_file" <<SQL || echo null
CREATE TEMP TABLE receipts (name text, receipt_us bigint);
\copy receipts FROM '$receipts'
CREATE TEMP TABLE hops AS
SELECT r.receipt_us - c.commit_us AS total, s.stamp_us - c.commit_us AS to_relay,
       r.receipt_us - s.stamp_us AS from_relay
FROM receipts r
JOIN $row_join
CROSS JOIN LATERAL (SELECT (extract(epoch FROM pg_xact_commit_timestamp(a.xmin)) * 1e6)::bigint AS commit_us) c
-- One pass over the outbox (a hash join): it holds every scenario's events and has no index on
-- subject, so a lookup per receipt would scan it once per receipt.
LEFT JOIN (SELECT DISTINCT ON (o.subject) o.subject,
                  (extract(epoch FROM o.published_at) * 1e6)::bigint AS stamp_us
           FROM $outbox o
           WHERE o.type = '$type'
           ORDER BY o.subject, o.seq) s ON s.subject = r.name;
SELECT json_build_object('count', count(*),
    'p50', percentile_disc(0.5) WITHIN GROUP (ORDER BY total),
    'p90', percentile_disc(0.9) WITHIN GROUP (ORDER BY total),
    'p99', percentile_disc(0.99) WITHIN GROUP (ORDER BY total), 'max', max(total),
    'commit_to_relay', json_build_object(
        'p50', percentile_disc(0.5) WITHIN GROUP (ORDER BY to_relay),
        'p99', percentile_disc(0.99) WITHIN GROUP (ORDER BY to_relay)),
    'relay_to_subscriber', json_build_object(
        'p50', percentile_disc(0.5) WITHIN GROUP (ORDER BY from_relay),
        'p99', percentile_disc(0.99) WITHIN GROUP (ORDER BY from_relay)))
FROM hops;
SQL
  )
  jq -e '.count > 0' <<<"$json" >/dev/null 2>&1 || json=null
  printf '%s\n' "$json"
}
# The commit probe: pgbench commits a one-row UPDATE in autocommit at PROBE_RATE/s, durable like
# the service's writes, beside the paced events (and beside the floor's runs, so that both run
# under the same load). Event latency runs from the commit record's timestamp, which is taken
# before the commit's WAL flush, so it includes what this probe measures (the flush and a round
# trip) at the same moments.
PROBE_RATE=100 PROBE_SECONDS=$((EVENT_SECONDS > 2 ? EVENT_SECONDS - 1 : 1))
commit_probe_start() {  # NAME: starts it in the background; sets probe_pid
  rm -f -- "$WORK/$1.log".*
  ( cd "$WORK" && exec pgbench -n -c 1 -j 1 -R "$PROBE_RATE" -T "$PROBE_SECONDS" \
      -f "$ROOT/scripts/bench/sql/commit-probe.sql" -l --log-prefix="$1.log" \
      -h 127.0.0.1 -p "$PG_PORT" -U postgres accord >"$WORK/$1.txt" 2>&1 ) &
  probe_pid=$!
}
commit_probe_result() {  # NAME EXIT_STATUS: its latency and errors as JSON
  local logs=("$WORK/$1.log".*) latency
  # pgbench's per-transaction log with --rate: the 3rd column counts from the scheduled start,
  # the last one is how late the start was (pgbench's own wake-up), which is not the commit's.
  latency=$(awk '{ print $3 - $NF }' "${logs[@]}" 2>/dev/null >"$WORK/$1.latencies"
    latency_json 1 "$WORK/$1.latencies")
  jq -n --argjson latency "$latency" --argjson client "$(pgbench_json "$WORK/$1.txt")" \
    --arg exit "$2" --argjson rate "$PROBE_RATE" --arg tail "$(tail -n 2 "$WORK/$1.txt")" '
    { sql: "UPDATE public.bench_commit_probe SET n = n + 1 WHERE id = 1 (autocommit)",
      rate: $rate, latency_us: $latency, failed: $client.failed,
      error: (if $exit != "0" then "commit probe (pgbench) exited \($exit): \($tail)"
              elif $latency.count == 0 then "commit probe: no commit completed"
              elif $client.failed > 0 then "commit probe: \($client.failed) failed commits"
              else null end) }'
}
# Runs accord-bench-load ARGS... (stdout to OUT) with the commit probe NAME beside it. Sets
# load_exit, probe_json (commit_probe_result's) and load_snap (the resources of SERVICE_PID).
events_with_probe() {  # NAME OUT ARGS...
  local name=$1 out=$2 probe_exit
  shift 2
  commit_probe_start "$name"
  snapshot_begin
  set +e
  "$LOAD" --mode=events --token="$TOKEN" --connections="$CONNECTIONS" --timeout=30 "$@" \
    >"$out" 2>"$out.err"
  load_exit=$?
  wait "$probe_pid"
  probe_exit=$?
  set -e
  load_snap=$(snapshot_end)
  probe_json=$(commit_probe_result "$name" "$probe_exit")
}
# The event path's floor, at the events' rate: accord-noop-server --outbox commits, per call, a
# transaction shaped like CreateAccount's with nothing in it (one trivial row and its event,
# through the worker pool, the same outbox append and NOTIFY), and its own relay, stream tail and
# event service deliver the event to a subscriber, timed from the commit as the events are. What
# it reaches is what delivery costs on this machine at that moment without the service's work.
# It runs just before the events and just after them, so that one slowdown of the shared machine
# cannot make it alone; the lower p99 of the two stands (commit_latency_json: above).
event_floor_run() {  # before|after: writes $WORK/events-floor.<run>.result.json
  local run=$1 out="$WORK/events-floor.$1.load.json" receipts="$WORK/events-floor.$1.receipts.tsv"
  local exit_code commit=null snap probe
  say "events-floor ($run the events): $EVENTS no-op writes paced at $EVENT_RATE/s, each a trivial row and its event"
  SERVICE_PID=${PID[noop-runtime-events]}
  events_with_probe "events-floor.$run.probe" "$out" --write=noop \
    --target="127.0.0.1:${GRPC_PORT[noop-runtime-events]}" --events="$EVENTS" --rate="$EVENT_RATE" \
    --burst=0 --receipts-file="$receipts"
  exit_code=$load_exit snap=$load_snap probe=$probe_json
  if [[ -s $receipts ]]; then
    commit=$(commit_latency_json "$receipts" "public.bench_event_floor a ON a.subject = r.name" \
      bench_noop_events.outbox accord.bench.v1.NoopWritten "$WORK/events-floor.$run.commit.err")
  fi
  jq -e . "$out" >/dev/null 2>&1 || echo '{"available":true,"error":"no output"}' >"$out"
  jq -n --arg run "$run" --argjson r "$(cat "$out")" --argjson snap "$snap" --arg exit "$exit_code" \
    --arg err "$(tail -c 300 "$out.err")" --argjson commit "$commit" --argjson probe "$probe" '
    { run: $run, load: $r, commit: $commit, snap: $snap, commit_probe: $probe,
      reasons: [ (if $exit != "0" then "\($run): accord-bench-load exited \($exit): \($err)" else empty end),
                 (if ($r.available // true) | not then "\($run): EventService.Subscribe: \($r.reason)" else empty end),
                 (if ($r.error // "") != "" then "\($run): \($r.error)" else empty end),
                 (if ($r.missing // 0) > 0 then "\($run): \($r.missing) of \($r.latency_events) events never reached the subscriber" else empty end),
                 (if $commit == null then "\($run): no commit timestamps for its events" else empty end),
                 (if $probe.error then "\($run): \($probe.error)" else empty end) ] }' \
    >"$WORK/events-floor.$run.result.json"
  jq -r '"[bench] events-floor (\(.run)): p50 \(.commit.p50 // "-") us  p99 \(.commit.p99 // "-") us"' \
    "$WORK/events-floor.$run.result.json" >&2
}
rm -f -- "$WORK"/events-floor.*.result.json
FLOOR=0
[[ -n ${PID[noop-runtime-events]:-} ]] && FLOOR=1
if ((FLOOR)); then
  # Unmeasured warm-up, as every other scenario has: the account service has taken writes all run
  # long, the floor's process and tables none.
  warm_events=$((EVENT_RATE * WARMUP > 20 ? EVENT_RATE * WARMUP : 20))
  "$LOAD" --mode=events --write=noop --target="127.0.0.1:${GRPC_PORT[noop-runtime-events]}" \
    --token="$TOKEN" --connections="$CONNECTIONS" --events="$warm_events" --rate="$EVENT_RATE" \
    --burst=0 --timeout=30 >"$WORK/events-floor.warmup.json" 2>&1 || true
  event_floor_run before
fi
say "events: $EVENTS creates paced at $EVENT_RATE/s (half of create's ${CREATE_QPS}/s), then a burst of $EVENT_BURST"
SERVICE_PID=${PID[account]}
# Beside the paced creates, PostgreSQL's own commit (the commit probe, above).
receipts="$WORK/events.receipts.tsv"
events_with_probe commit-probe "$events_out" --target="127.0.0.1:${GRPC_PORT[account]}" \
  --events="$EVENTS" --rate="$EVENT_RATE" --burst="$EVENT_BURST" --receipts-file="$receipts"
events_exit=$load_exit snap=$load_snap commit_probe=$probe_json
commit_latency=null
if [[ -s $receipts ]]; then
  commit_latency=$(commit_latency_json "$receipts" "account.accounts a ON a.id = substr(r.name, 10)::uuid" \
    account.outbox accord.account.v1.AccountCreated "$WORK/events.commit.err")
fi
if ! jq -e . "$events_out" >/dev/null 2>&1; then
  echo '{"available":true,"error":"no output"}' >"$events_out"
fi
jq -n --argjson r "$(cat "$events_out")" --argjson snap "$snap" --arg exit "$events_exit" \
  --arg err "$(tail -c 300 "$events_out.err")" --argjson commit "$commit_latency" \
  --argjson probe "$commit_probe" --argjson backlog "$relay_backlog" --argjson idle_wait "$relay_idle_wait" '
  if ($r.available | not) then
    { name: "events", title: "Event delivery (commit -> subscriber)", status: "NOT_AVAILABLE",
      reason: "EventService.Subscribe is not served by this build (\($r.reason))" }
  else
    ([ (if $exit != "0" then "accord-bench-load exited \($exit): \($err)" else empty end),
       (if ($r.error // "") != "" then $r.error else empty end),
       (if ($r.missing // 0) > 0 then "\($r.missing) of \($r.latency_events) events never reached the subscriber" else empty end),
       (if ($r.burst_failures // 0) > 0 then "\($r.burst_failures) burst creates failed" else empty end),
       (if ($r.burst_delivered // 0) < (($r.burst // 0) - ($r.burst_failures // 0)) then "only \($r.burst_delivered) of \($r.burst) burst events delivered" else empty end),
       ($probe.error // empty) ]) as $reasons
    | { name: "events",
        title: "Event delivery (\(if $commit != null then "commit" else "envelope time" end) -> subscriber), creates paced at half the max create rate",
        driver: "accord-bench-load --mode=events",
        status: (if ($reasons | length) > 0 then "FAILED" else "OK" end), reasons: $reasons,
        latency_us: ($commit // $r.latency_us), latency_from: (if $commit != null then "commit" else "envelope" end),
        envelope_latency_us: $r.latency_us, commit_latency_us: $commit, latency_events: $r.latency_events,
        commit_probe: $probe, relay_backlog_before: $backlog, relay_idle_wait_seconds: $idle_wait,
        paced_rate_target: $r.paced_rate_target, paced_rate: $r.paced_rate,
        burst: $r.burst, burst_create_rate: $r.burst_create_rate,
        qps: $r.burst_delivery_rate, burst_delivery_seconds: $r.burst_delivery_seconds,
        resources: $snap }
  end' >"$RESULTS/events.json"
report_line "$RESULTS/events.json"

if ((FLOOR)); then event_floor_run after; fi
# The floor's result: of its run before and its run after the events, the one with the lower p99
# (the more conservative floor: a target is called unreachable only if both runs miss it).
if [[ -f $WORK/events-floor.before.result.json ]]; then
  SCENARIO_ORDER+=(events-floor)
  jq -s '
    (map(.reasons) | add) as $reasons
    | (map(select(.commit != null)) | sort_by(.commit.p99)) as $measured
    | (if ($measured | length) > 0 then $measured[0] else .[0] end) as $best
    | { name: "events-floor",
        title: "Event delivery floor (commit -> subscriber): no-op writes of a trivial row and its event, at the events rate, just before and just after them (the lower p99)",
        driver: "accord-bench-load --mode=events --write=noop",
        status: (if ($reasons | length) > 0 then "FAILED" else "OK" end), reasons: $reasons,
        latency_us: $best.commit, latency_from: "commit", envelope_latency_us: $best.load.latency_us,
        commit_latency_us: $best.commit, latency_events: $best.load.latency_events,
        chosen_run: $best.run, commit_probe: $best.commit_probe,
        runs: map({run, p50_us: .commit.p50, p99_us: .commit.p99, paced_rate: .load.paced_rate,
                   commit_probe_p99_us: .commit_probe.latency_us.p99}),
        paced_rate_target: $best.load.paced_rate_target, paced_rate: $best.load.paced_rate,
        resources: $best.snap }' "$WORK/events-floor.before.result.json" "$WORK/events-floor.after.result.json" \
    >"$RESULTS/events-floor.json"
  report_line "$RESULTS/events-floor.json"
fi

if [[ $(jq -r .status "$RESULTS/events.json") == OK && $HAS_OUTBOX == t ]]; then
  # Relay drain: one transaction appends a backlog (copies of the newest real event row); the
  # rate is backlog / time until no row is unpublished.
  SCENARIO_ORDER+=(relay-drain)
  say "relay-drain: backlog of $RELAY_BACKLOG outbox rows"
  SERVICE_PID=${PID[account]}
  snapshot_begin
  drain_error=""
  if ! psql_db -d accord -c "INSERT INTO account.outbox (event_id, type, subject, aggregate_version, envelope)
      SELECT gen_random_uuid(), o.type, o.subject, o.aggregate_version, o.envelope
      FROM (SELECT * FROM account.outbox ORDER BY seq DESC LIMIT 1) o, generate_series(1, $RELAY_BACKLOG)" \
      >"$WORK/relay.txt" 2>&1; then
    drain_error="backlog insert failed: $(tail -n 2 "$WORK/relay.txt")"
  fi
  t0=$(date +%s.%N)
  deadline=$((SECONDS + 120))
  while [[ -z $drain_error ]]; do
    left=$(unpublished)
    [[ $left == 0 ]] && break
    ((SECONDS < deadline)) || { drain_error="$left rows still unpublished after 120 s"; break; }
    sleep 0.05
  done
  t1=$(date +%s.%N)
  snap=$(snapshot_end)
  jq -n --arg err "$drain_error" --argjson n "$RELAY_BACKLOG" --argjson t0 "$t0" --argjson t1 "$t1" \
    --argjson snap "$snap" '
    { name: "relay-drain", title: "Outbox relay drain (backlog published to Redis)",
      driver: "psql backlog + poll", status: (if $err == "" then "OK" else "FAILED" end),
      reasons: (if $err == "" then [] else [$err] end), requests_done: $n,
      qps: (if $err == "" then $n / ($t1 - $t0) else 0 end), duration_seconds: ($t1 - $t0),
      resources: $snap }' >"$RESULTS/relay-drain.json"
  report_line "$RESULTS/relay-drain.json"
else
  not_available relay-drain "Outbox relay drain" \
    "$([[ $HAS_OUTBOX == t ]] && echo "the event stream is not served by this build" || echo "no account.outbox table in this build")"
fi
fi # section account

# Each service's own scenarios, one file per section (scripts/bench/scenarios/NAME.sh), sourced in
# name order with everything above at hand: launch, run_h2load, run_load, run_pgbench, merge_rounds,
# not_available, and declare_ratio / declare_latency_target for the report.
EXTRA_RATIOS="$WORK/extra-ratios.jsonl" EXTRA_LATENCY="$WORK/extra-latency.jsonl"
: >"$EXTRA_RATIOS"
: >"$EXTRA_LATENCY"
declare_ratio() {  # ID TITLE NUMERATOR DENOMINATOR TARGET|null NOTE: QPS of NUMERATOR / DENOMINATOR
  jq -cn --arg id "$1" --arg title "$2" --arg num "$3" --arg den "$4" --argjson target "$5" \
    --arg note "$6" '{id: $id, title: $title, num: $num, den: $den, target: $target, note: $note}' \
    >>"$EXTRA_RATIOS"
}
declare_latency_target() {  # ID TITLE SCENARIO TARGET_US: the scenario's p99 must stay below
  jq -cn --arg id "$1" --arg title "$2" --arg scenario "$3" --argjson target "$4" \
    '{id: $id, title: $title, scenario: $scenario, target_us: $target}' >>"$EXTRA_LATENCY"
}
for section_file in "$ROOT"/scripts/bench/scenarios/*.sh; do
  [[ -e $section_file ]] || continue
  section=$(basename -- "$section_file" .sh)
  section_enabled "$section" || continue
  say "section $section"
  # shellcheck disable=SC1090  # one file per section
  source "$section_file"
done

# --- report ---------------------------------------------------------------------------------------
for name in "${!PID[@]}"; do
  [[ -n ${IDLE_RSS[$name]:-} ]] || continue
  jq -n --arg name "$name" --argjson idle "${IDLE_RSS[$name]}" \
    --argjson peak "$(proc_hwm_kb "${PID[$name]}")" '{name: $name, idle_rss_kb: $idle, peak_rss_kb: $peak}'
done | jq -s . >"$WORK/processes.json"
printf '%s\n' "${SCENARIO_ORDER[@]}" | jq -Rn '[inputs]' >"$WORK/order.json"

pg_version=$("$PG_BIN/postgres" --version | head -n 1)
jq -n \
  --arg date "$(date -u +%FT%TZ)" \
  --arg mode "$( ((SMOKE)) && echo smoke || echo full)" \
  --arg host "$(hostname)" \
  --argjson nproc "$(nproc)" \
  --arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
  --arg mem "$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)" \
  --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
  --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --arg dirty "$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -c . || true)" \
  --arg build_type "${BUILD_TYPE:-unknown}" \
  --arg gxx "$(g++ --version 2>/dev/null | head -n 1)" \
  --arg grpc "$(dpkg-query -W -f='${Version}' libgrpc++-dev 2>/dev/null || echo unknown)" \
  --arg protobuf "$(dpkg-query -W -f='${Version}' libprotobuf-dev 2>/dev/null || echo unknown)" \
  --arg pqxx "$(dpkg-query -W -f='${Version}' libpqxx-dev 2>/dev/null || echo unknown)" \
  --arg postgres "$pg_version" \
  --arg redis "$(redis-server --version | head -n 1)" \
  --arg h2load "$(h2load --version | head -n 1)" \
  --arg pgbench "$(pgbench --version | head -n 1)" \
  --argjson duration "$DURATION" --argjson warmup "$WARMUP" --argjson accounts "$ACCOUNTS" \
  --argjson rounds "$ROUNDS" --argjson round_seconds "$((DURATION / ROUNDS > 0 ? DURATION / ROUNDS : 1))" \
  --argjson connections "$CONNECTIONS" --argjson streams "$STREAMS" \
  --argjson pg_pool "$PG_POOL" --argjson redis_pool "$REDIS_POOL" \
  --argjson durable "$PG_DURABLE" --arg has_outbox "$HAS_OUTBOX" \
  --arg cache "${CACHE_EVIDENCE}" --argjson account_bytes "$ACCOUNT_BYTES" \
  --arg list_filter "$LIST_FILTER" \
  --argjson order "$(cat "$WORK/order.json")" \
  --argjson processes "$(cat "$WORK/processes.json")" \
  --argjson idle "$IDLE_SNAPSHOT" \
  --slurpfile extra_ratios "$EXTRA_RATIOS" --slurpfile extra_latency "$EXTRA_LATENCY" \
  --slurpfile scenarios <(cat "$RESULTS"/*.json) \
  -f "$ROOT/scripts/bench/report.jq" >"$BENCH_DIR/report.json"
"$ROOT/scripts/bench/render.sh" "$BENCH_DIR/report.json" >"$BENCH_DIR/report.md"

say "report: ${BENCH_DIR#"$ROOT"/}/report.md and report.json"
jq -r '.summary.lines[]' "$BENCH_DIR/report.json" >&2
if jq -e '.summary.failed | length > 0' "$BENCH_DIR/report.json" >/dev/null; then
  say "FAILED scenarios: $(jq -r '.summary.failed | join(", ")' "$BENCH_DIR/report.json")"
  exit 1
fi
exit 0
