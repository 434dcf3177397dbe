#!/usr/bin/env bash
# UpdateAccount measured by what does not depend on the machine's load, for comparing two builds
# (docs/performance.md, "UpdateAccount profiled"). Starts its own PostgreSQL and Redis under
# /tmp, migrates with ACCOUNT_BIN, seeds 20 000 accounts at version 1 and drives
# UpdateAccount (display_name) with accord-bench-h2load as the bench does (4 connections x 8
# streams), then stops everything it started.
#
#   scripts/bench/profile-update.sh callgrind ACCOUNT_BIN [SECONDS]
#       the service under callgrind: 2 000 updates unmeasured, then instructions counted over
#       SECONDS (default 20) of updates; prints instructions per update, and per second of the
#       same process idle afterwards (what runs anyway: health checks, relay, tail)
#   scripts/bench/profile-update.sh in-flight ACCOUNT_BIN [SECONDS]
#       the service as it is, against a durable PostgreSQL; samples, while SECONDS of updates
#       run, how many of the service's sessions are inside a transaction (the writes in flight)
#       and prints how often each count was seen
#
# TOOLS: a build directory with accord-bench-h2load and accordctl (default: this tree's build).
# ACCOUNT_BIN may come from another tree (an older commit's build), as long as its migrations
# and UpdateAccount are wire-compatible with this tree's bench client.
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
MODE=${1:-} BIN=${2:-} SECS=${3:-20}
[[ ($MODE == callgrind || $MODE == in-flight) && -x $BIN ]] \
  || { sed -n '2,21s/^# \{0,1\}//p' "$0" >&2; exit 2; }
BIN=$(realpath -- "$BIN")
TOOLS=${TOOLS:-$ROOT/build}
# shellcheck source-path=SCRIPTDIR source=../lib/servers.sh
source "$ROOT/scripts/lib/servers.sh"
D=$(mktemp -d /tmp/accord-profile-update.XXXXXX)
chmod 0711 "$D"
mkdir -p "$D/pg" "$D/redis"
SERVICE_PID=""
cleanup() {
  [[ -z $SERVICE_PID ]] || { kill -TERM "$SERVICE_PID" 2>/dev/null; wait "$SERVICE_PID" 2>/dev/null; } || true
  stop_redis "$D/redis" >/dev/null 2>&1 || true
  stop_postgres "$D/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT

PG_PORT=$(free_loopback_port)
if [[ $MODE == callgrind ]]; then
  start_postgres --ephemeral --log "$D/pg.log" "$D/pg" "$PG_PORT" >&2
else
  start_postgres --log "$D/pg.log" "$D/pg" "$PG_PORT" >&2
fi
REDIS_PORT=$(free_loopback_port)
start_redis --log "$D/redis.log" "$D/redis" "$REDIS_PORT" >&2
PG_BIN=$(pg_bin_dir)
psql_db() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }
psql_db -d postgres -c "CREATE DATABASE accord" >/dev/null

GRPC=$(free_loopback_port)
METRICS=$(free_loopback_port)
while [[ $METRICS == "$GRPC" ]]; do METRICS=$(free_loopback_port); done
SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
SERVICE_ENV=(
  "ACCORD_GRPC_ADDRESS=127.0.0.1:$GRPC" "ACCORD_METRICS_ADDRESS=127.0.0.1:$METRICS"
  "ACCORD_PG_URL=postgresql://postgres@127.0.0.1:$PG_PORT/accord"
  "ACCORD_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
  ACCORD_PG_POOL_SIZE=8 ACCORD_REDIS_POOL_SIZE=8 ACCORD_JWT_ALGORITHM=HS256
  "ACCORD_JWT_SECRET=$SECRET" ACCORD_JWT_ISSUER=accord-dev ACCORD_JWT_AUDIENCE=accord
  "ACCORD_PAGE_TOKEN_SECRET=$SECRET" ACCORD_LOG_LEVEL=info ACCORD_DRAIN_DELAY_MS=0
)
env "${SERVICE_ENV[@]}" "$BIN" migrate >"$D/migrate.log" 2>&1
psql_db -d accord -f "$ROOT/scripts/bench/sql/setup.sql" >/dev/null
psql_db -d accord -v accounts=10000 -f "$ROOT/scripts/bench/sql/seed.sql" >/dev/null
psql_db -d accord -c "VACUUM (ANALYZE) account.accounts" >/dev/null
names() { for ((i = $1; i <= $2; i++)); do printf 'accounts/00000000-0000-7000-8000-%012x\n' "$i"; done; }
names 1 2000 >"$D/warm.txt"
names 2001 20000 >"$D/measure.txt"
TOKEN=$(env "ACCORD_JWT_SECRET=$SECRET" ACCORD_JWT_ISSUER=accord-dev ACCORD_JWT_AUDIENCE=accord \
  "$TOOLS/services/accordctl/accordctl" token --role admin --subject bench --ttl 2h)
H2LOAD=("$TOOLS/services/bench/accord-bench-h2load" --mode=update "--target=127.0.0.1:$GRPC"
  "--token=$TOKEN" --connections=4 --streams=8 --warmup=0)

if [[ $MODE == callgrind ]]; then
  env "${SERVICE_ENV[@]}" valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$D/callgrind.out" "$BIN" >"$D/service.log" 2>&1 &
else
  env "${SERVICE_ENV[@]}" "$BIN" >"$D/service.log" 2>&1 &
fi
SERVICE_PID=$!
for ((t = 0; t < 240; t++)); do
  port_listening "$GRPC" && break
  _accord_pid_alive "$SERVICE_PID" || { tail -n 20 "$D/service.log" >&2; exit 1; }
  sleep 0.5
done
sleep 2
"${H2LOAD[@]}" --duration=10 --names-file="$D/warm.txt" >"$D/warm.json"
sleep 2

if [[ $MODE == callgrind ]]; then
  start=$(date +%s.%N)
  callgrind_control -i on "$SERVICE_PID" >/dev/null
  "${H2LOAD[@]}" --duration="$SECS" --names-file="$D/measure.txt" >"$D/measure.json"
  sleep 2  # the relay publishes the last events
  callgrind_control -i off "$SERVICE_PID" >/dev/null
  loaded=$(echo "$(date +%s.%N) - $start" | bc)
  callgrind_control -d "$SERVICE_PID" >/dev/null
  sleep 2
  start=$(date +%s.%N)
  callgrind_control -i on "$SERVICE_PID" >/dev/null
  sleep 10
  callgrind_control -i off "$SERVICE_PID" >/dev/null
  idle=$(echo "$(date +%s.%N) - $start" | bc)
  callgrind_control -d "$SERVICE_PID" >/dev/null
  sleep 1
  total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'; }
  calls=$(jq -r '.codes.OK // 0' "$D/measure.json")
  [[ $calls -gt 0 ]] || { echo "no update succeeded: $(cat "$D/measure.json")" >&2; exit 1; }
  loaded_ir=$(total "$D/callgrind.out.1") idle_ir=$(total "$D/callgrind.out.2")
  echo "updates: $calls in ${loaded}s; instructions: $loaded_ir, $((loaded_ir / calls)) per update;" \
    "idle: $(echo "$idle_ir / $idle" | bc) per second"
  echo "profile: $D/callgrind.out.1 (callgrind_annotate --inclusive=yes)"
else
  "${H2LOAD[@]}" --duration="$SECS" --names-file="$D/measure.txt" >"$D/measure.json" &
  load=$!
  sleep 2
  # The service's sessions inside a transaction; the relay's and the tail's listen between passes.
  while kill -0 "$load" 2>/dev/null; do
    psql_db -d accord -tAc "SELECT count(*) FROM pg_stat_activity WHERE datname = 'accord'
      AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
  done >"$D/in-flight.txt"
  wait "$load"
  echo "updates/s: $(jq .qps "$D/measure.json") (load average $(cut -d' ' -f1 /proc/loadavg))"
  echo "sessions in a transaction (count: samples): $(sort -n "$D/in-flight.txt" | uniq -c \
    | awk '{ printf "%s: %s  ", $2, $1 }')"
  rm -rf -- "$D"
fi
