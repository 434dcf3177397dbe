#!/usr/bin/env bash
# Installs dependencies, builds, and runs the Accord suite locally on 127.0.0.1 with its
# own PostgreSQL and Redis. Everything lives under .accord/ (data, logs, pids, dev.env); stop it
# with scripts/down.sh. Safe to run again: running servers are left alone, and a running service is
# restarted only if its binary was rebuilt or its settings changed.
#
#   --no-build           skip scripts/build.sh (use what is in the build directory)
#   ACCORD_PG_PORT       PostgreSQL port (default 55432)
#   ACCORD_REDIS_PORT    Redis port (default 56379)
#   ACCORD_LOG_LEVEL     service log level (default info)
#   BUILD_DIR            build directory (default build)
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source-path=SCRIPTDIR source=lib/servers.sh
source "$ROOT/scripts/lib/servers.sh"

# name              gRPC   metrics   (binary: $BUILD_DIR/services/<name>/accord-<name>; skipped if not built)
SERVICES=(
  "account          50051  9091"
  "contact          50052  9092"
  "pricing-terms    50053  9093"
  "service-quality  50054  9094"
  "webhooks         50056  9096"
)

# The comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$ROOT/scripts/$(basename -- "$0")"; }

BUILD=1
for arg in "$@"; do
  case $arg in
    --no-build) BUILD=0 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "up.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR
[[ $BUILD_DIR == /* ]] || BUILD_DIR="$ROOT/$BUILD_DIR"
PG_PORT=${ACCORD_PG_PORT:-55432}
REDIS_PORT=${ACCORD_REDIS_PORT:-56379}
STATE_DIR="$ROOT/.accord"
LOG_DIR="$STATE_DIR/logs"
RUN_DIR="$STATE_DIR/run"
DEV_ENV="$STATE_DIR/dev.env"
ACCORDCTL="$BUILD_DIR/services/accordctl/accordctl"

say() { printf '[accord] %s\n' "$*" >&2; }
die() { printf '[accord] error: %s\n' "$*" >&2; exit 1; }

if ((BUILD)); then
  "$ROOT/scripts/build.sh"
else
  "$ROOT/scripts/deps.sh"
fi

mkdir -p "$LOG_DIR" "$RUN_DIR"
# The unprivileged PostgreSQL user (when we are root) must reach .accord/pg and its log.
chmod 0755 "$STATE_DIR" "$LOG_DIR"

# --- dev.env: secrets generated once, the rest rewritten each run ---------------------------------
random_hex() {
  if command -v openssl >/dev/null 2>&1; then
    openssl rand -hex 32
  else
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
    echo
  fi
}
saved_value() {
  [[ -f $DEV_ENV ]] && sed -n "s/^export $1=//p" "$DEV_ENV" | tail -n 1
  return 0
}
random_base64() {
  if command -v openssl >/dev/null 2>&1; then
    openssl rand -base64 32
  else
    head -c 32 /dev/urandom | base64
  fi
}
JWT_SECRET=$(saved_value ACCORD_JWT_SECRET)
PAGE_TOKEN_SECRET=$(saved_value ACCORD_PAGE_TOKEN_SECRET)
[[ -n $JWT_SECRET ]] || JWT_SECRET=$(random_hex)
[[ -n $PAGE_TOKEN_SECRET ]] || PAGE_TOKEN_SECRET=$(random_hex)
# Dev keys of the contact service's personal data, generated once and kept: losing them loses
# the contacts' personal fields. Production mounts its own (README "Contact service").
CONTACT_PII_KEYS=$(saved_value ACCORD_CONTACT_PII_KEYS)
CONTACT_BLIND_INDEX_KEY=$(saved_value ACCORD_CONTACT_BLIND_INDEX_KEY)
[[ -n $CONTACT_PII_KEYS ]] || CONTACT_PII_KEYS="dev1:$(random_base64)"
[[ -n $CONTACT_BLIND_INDEX_KEY ]] || CONTACT_BLIND_INDEX_KEY=$(random_base64)
# The webhooks service's key sealing its endpoints' secrets, kept the same way (README "Webhooks").
WEBHOOKS_SECRET_KEY=$(saved_value ACCORD_WEBHOOKS_SECRET_KEY)
[[ -n $WEBHOOKS_SECRET_KEY ]] || WEBHOOKS_SECRET_KEY=$(random_base64)
PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/accord"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
(
  umask 077
  cat >"$DEV_ENV.tmp" <<EOF
# Written by scripts/up.sh; the two secrets are generated once and kept. Use: source .accord/dev.env
export ACCORD_JWT_ALGORITHM=HS256
export ACCORD_JWT_SECRET=$JWT_SECRET
export ACCORD_JWT_ISSUER=accord-dev
export ACCORD_JWT_AUDIENCE=accord
export ACCORD_PAGE_TOKEN_SECRET=$PAGE_TOKEN_SECRET
export ACCORD_PG_URL=$PG_URL
export ACCORD_REDIS_URL=$REDIS_URL
export ACCORD_CONTACT_PII_KEYS=$CONTACT_PII_KEYS
export ACCORD_CONTACT_BLIND_INDEX_KEY=$CONTACT_BLIND_INDEX_KEY
export ACCORD_WEBHOOKS_SECRET_KEY=$WEBHOOKS_SECRET_KEY
EOF
  mv -f "$DEV_ENV.tmp" "$DEV_ENV"
)

# --- PostgreSQL and Redis -------------------------------------------------------------------------
PG_DIR="$STATE_DIR/pg"
if postgres_running "$PG_DIR" && [[ "$(postgres_port "$PG_DIR")" != "$PG_PORT" ]]; then
  say "PostgreSQL is running on port $(postgres_port "$PG_DIR"); restarting it on $PG_PORT"
  stop_postgres "$PG_DIR"
fi
if postgres_running "$PG_DIR"; then
  say "PostgreSQL already running on 127.0.0.1:$PG_PORT"
else
  port_listening "$PG_PORT" && die "port $PG_PORT is taken by another program; set ACCORD_PG_PORT"
  say "starting PostgreSQL on 127.0.0.1:$PG_PORT (data: .accord/pg)"
  start_postgres --log "$LOG_DIR/postgres.log" "$PG_DIR" "$PG_PORT"
fi
PG_BIN=$(pg_bin_dir)
psql_admin() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"
}
if [[ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = 'accord'")" != 1 ]]; then
  say "creating database accord"
  psql_admin -c "CREATE DATABASE accord"
fi

REDIS_DIR="$STATE_DIR/redis"
if redis_running "$REDIS_DIR" && [[ "$(redis_port "$REDIS_DIR")" != "$REDIS_PORT" ]]; then
  say "Redis is running on port $(redis_port "$REDIS_DIR"); restarting it on $REDIS_PORT"
  stop_redis "$REDIS_DIR"
fi
if redis_running "$REDIS_DIR"; then
  say "Redis already running on 127.0.0.1:$REDIS_PORT"
else
  port_listening "$REDIS_PORT" && die "port $REDIS_PORT is taken by another program; set ACCORD_REDIS_PORT"
  say "starting Redis on 127.0.0.1:$REDIS_PORT"
  start_redis --log "$LOG_DIR/redis.log" "$REDIS_DIR" "$REDIS_PORT"
fi

# --- services -------------------------------------------------------------------------------------
service_pid() {  # prints the pid of our running service NAME, or fails
  local name=$1 pid
  pid=$(cat "$RUN_DIR/$name.pid" 2>/dev/null) || return 1
  _accord_pid_matches "$pid" "accord-$name" || return 1
  printf '%s\n' "$pid"
}

stop_service() {  # SIGTERM (the services drain), wait up to 35 s, then SIGKILL
  local name=$1 pid
  pid=$(service_pid "$name") || { rm -f "$RUN_DIR/$name.pid"; return 0; }
  say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! _accord_wait_pid_gone "$pid" 35; then
    say "$name did not exit after SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    _accord_wait_pid_gone "$pid" 10 || true
  fi
  rm -f "$RUN_DIR/$name.pid"
}

# Waits until the service answers grpc.health.v1 (accordctl health) or, without accordctl, until
# its port accepts connections. Fails early if the process dies.
wait_healthy() {
  local name=$1 grpc_port=$2 pid=$3 deadline=$((SECONDS + 60))
  while :; do
    if ! _accord_pid_alive "$pid"; then
      echo "--- last lines of .accord/logs/$name.log ---" >&2
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      die "$name exited during start-up (log: .accord/logs/$name.log)"
    fi
    if [[ -x $ACCORDCTL ]]; then
      "$ACCORDCTL" health --service "$name" --addr "127.0.0.1:$grpc_port" >/dev/null 2>&1 && return 0
    else
      (exec 3<>"/dev/tcp/127.0.0.1/$grpc_port") 2>/dev/null && return 0
    fi
    ((SECONDS < deadline)) || die "$name is not healthy after 60 s (log: .accord/logs/$name.log)"
    sleep 0.5
  done
}

# The services' own token for background work (ACCORD_SERVICE_TOKEN): following each other's
# events (the account service's insights, service-quality and contact follow account events)
# needs the integration role. Minted once and kept for 30 days, so that a re-run does not
# restart the services only because the token changed.
SERVICE_TOKEN_FILE="$STATE_DIR/service-token"
if [[ -x $ACCORDCTL ]] && { [[ ! -s $SERVICE_TOKEN_FILE ]] ||
  [[ -n $(find "$SERVICE_TOKEN_FILE" -mmin +$((29 * 24 * 60)) 2>/dev/null) ]]; }; then
  (umask 077 && env ACCORD_JWT_SECRET="$JWT_SECRET" ACCORD_JWT_ISSUER=accord-dev \
    ACCORD_JWT_AUDIENCE=accord "$ACCORDCTL" token --role integration --subject accord-services \
    --ttl 720h >"$SERVICE_TOKEN_FILE.tmp" && mv -f "$SERVICE_TOKEN_FILE.tmp" "$SERVICE_TOKEN_FILE") ||
    say "could not mint the services' token; they will not follow each other's events"
fi
SERVICE_TOKEN=$(cat "$SERVICE_TOKEN_FILE" 2>/dev/null || true)

STARTED=()
for row in "${SERVICES[@]}"; do
  read -r name grpc_port metrics_port <<<"$row"
  bin="$BUILD_DIR/services/$name/accord-$name"
  if [[ ! -x $bin ]]; then
    rm -f "$RUN_DIR/$name.pid" "$RUN_DIR/$name.env"
    continue
  fi
  log="$LOG_DIR/$name.log"
  service_env=(
    "ACCORD_GRPC_ADDRESS=127.0.0.1:$grpc_port"
    "ACCORD_METRICS_ADDRESS=127.0.0.1:$metrics_port"
    "ACCORD_PG_URL=$PG_URL"
    "ACCORD_REDIS_URL=$REDIS_URL"
    "ACCORD_JWT_ALGORITHM=HS256"
    "ACCORD_JWT_SECRET=$JWT_SECRET"
    "ACCORD_JWT_ISSUER=accord-dev"
    "ACCORD_JWT_AUDIENCE=accord"
    "ACCORD_PAGE_TOKEN_SECRET=$PAGE_TOKEN_SECRET"
    "ACCORD_LOG_LEVEL=${ACCORD_LOG_LEVEL:-info}"
  )
  [[ -n $SERVICE_TOKEN ]] && service_env+=("ACCORD_SERVICE_TOKEN=$SERVICE_TOKEN")
  case $name in
    contact)
      service_env+=(
        "ACCORD_CONTACT_PII_KEYS=$CONTACT_PII_KEYS"
        "ACCORD_CONTACT_BLIND_INDEX_KEY=$CONTACT_BLIND_INDEX_KEY"
        "ACCORD_ACCOUNT_ADDRESS=dns:///127.0.0.1:50051"
      )
      ;;
    webhooks)
      # Its own token (integration role, a year, minted once) follows the services' events.
      [[ -s $RUN_DIR/webhooks.token ]] || (umask 077 && env ACCORD_JWT_SECRET="$JWT_SECRET" \
        ACCORD_JWT_ISSUER=accord-dev ACCORD_JWT_AUDIENCE=accord "$ACCORDCTL" token \
        --role integration --subject accord-webhooks --ttl 8760h >"$RUN_DIR/webhooks.token")
      service_env+=(
        "ACCORD_WEBHOOKS_SECRET_KEY=$WEBHOOKS_SECRET_KEY"
        "ACCORD_SERVICE_TOKEN=$(cat "$RUN_DIR/webhooks.token")"
      )
      ;;
  esac
  (umask 077 && printf '%s\n' "${service_env[@]}" >"$RUN_DIR/$name.env.new")

  if pid=$(service_pid "$name"); then
    if [[ $bin -nt "$RUN_DIR/$name.pid" ]] || ! cmp -s "$RUN_DIR/$name.env.new" "$RUN_DIR/$name.env"; then
      say "$name was rebuilt or reconfigured; restarting it"
      stop_service "$name"
    else
      say "$name already running (pid $pid)"
      rm -f "$RUN_DIR/$name.env.new"
      wait_healthy "$name" "$grpc_port" "$pid"
      STARTED+=("$row")
      continue
    fi
  fi
  port_listening "$grpc_port" && die "port $grpc_port (gRPC for $name) is taken by another program"
  port_listening "$metrics_port" && die "port $metrics_port (metrics for $name) is taken by another program"

  say "migrating $name"
  printf '\n=== %s migrate ===\n' "$(date -u +%FT%TZ)" >>"$log"
  if ! env "${service_env[@]}" "$bin" migrate </dev/null >>"$log" 2>&1; then
    echo "--- last lines of .accord/logs/$name.log ---" >&2
    tail -n 30 "$log" >&2 || true
    die "$name migrate failed"
  fi

  say "starting $name on 127.0.0.1:$grpc_port"
  printf '\n=== %s start ===\n' "$(date -u +%FT%TZ)" >>"$log"
  # setsid: the service keeps running after this script and its terminal are gone.
  env "${service_env[@]}" setsid "$bin" </dev/null >>"$log" 2>&1 &
  pid=$!
  echo "$pid" >"$RUN_DIR/$name.pid"
  mv -f "$RUN_DIR/$name.env.new" "$RUN_DIR/$name.env"
  wait_healthy "$name" "$grpc_port" "$pid"
  STARTED+=("$row")
done

# --- gateway (HTTP/JSON in front of the services; skipped if not built) ----------------------------
GATEWAY_BIN="$BUILD_DIR/services/gateway/accord-gateway"
GATEWAY_HTTP_PORT=8080 GATEWAY_GRPC_PORT=50055 GATEWAY_METRICS_PORT=9095
GATEWAY_UP=0
if [[ -x $GATEWAY_BIN ]]; then
  gateway_env=(
    "ACCORD_GATEWAY_HTTP_ADDRESS=127.0.0.1:$GATEWAY_HTTP_PORT"
    "ACCORD_GRPC_ADDRESS=127.0.0.1:$GATEWAY_GRPC_PORT"
    "ACCORD_METRICS_ADDRESS=127.0.0.1:$GATEWAY_METRICS_PORT"
    "ACCORD_ACCOUNT_ADDRESS=dns:///127.0.0.1:50051"
    "ACCORD_CONTACT_ADDRESS=dns:///127.0.0.1:50052"
    "ACCORD_PRICING_TERMS_ADDRESS=dns:///127.0.0.1:50053"
    "ACCORD_SERVICE_QUALITY_ADDRESS=dns:///127.0.0.1:50054"
    "ACCORD_LOG_LEVEL=${ACCORD_LOG_LEVEL:-info}"
  )
  # The web console, built by scripts/build.sh into the build directory.
  static_dir=${ACCORD_GATEWAY_STATIC_DIR:-$BUILD_DIR/web}
  [[ -d $static_dir ]] && gateway_env+=("ACCORD_GATEWAY_STATIC_DIR=$static_dir")
  [[ -n ${ACCORD_GATEWAY_CORS_ORIGINS:-} ]] && gateway_env+=("ACCORD_GATEWAY_CORS_ORIGINS=$ACCORD_GATEWAY_CORS_ORIGINS")
  (umask 077 && printf '%s\n' "${gateway_env[@]}" >"$RUN_DIR/gateway.env.new")
  if pid=$(service_pid gateway); then
    if [[ $GATEWAY_BIN -nt "$RUN_DIR/gateway.pid" ]] || ! cmp -s "$RUN_DIR/gateway.env.new" "$RUN_DIR/gateway.env"; then
      say "gateway was rebuilt or reconfigured; restarting it"
      stop_service gateway
    fi
  fi
  if pid=$(service_pid gateway); then
    say "gateway already running (pid $pid)"
    rm -f "$RUN_DIR/gateway.env.new"
  else
    for port in $GATEWAY_HTTP_PORT $GATEWAY_GRPC_PORT $GATEWAY_METRICS_PORT; do
      port_listening "$port" && die "port $port (gateway) is taken by another program"
    done
    say "starting gateway on http://127.0.0.1:$GATEWAY_HTTP_PORT"
    printf '\n=== %s start ===\n' "$(date -u +%FT%TZ)" >>"$LOG_DIR/gateway.log"
    env "${gateway_env[@]}" setsid "$GATEWAY_BIN" </dev/null >>"$LOG_DIR/gateway.log" 2>&1 &
    pid=$!
    echo "$pid" >"$RUN_DIR/gateway.pid"
    mv -f "$RUN_DIR/gateway.env.new" "$RUN_DIR/gateway.env"
  fi
  deadline=$((SECONDS + 30))
  until (exec 3<>"/dev/tcp/127.0.0.1/$GATEWAY_HTTP_PORT") 2>/dev/null; do
    _accord_pid_alive "$pid" || die "gateway exited during start-up (log: .accord/logs/gateway.log)"
    ((SECONDS < deadline)) || die "gateway is not listening after 30 s (log: .accord/logs/gateway.log)"
    sleep 0.2
  done
  GATEWAY_UP=1
fi

# --- summary --------------------------------------------------------------------------------------
echo
echo "Accord is up."
if [[ ${#STARTED[@]} -eq 0 ]]; then
  echo "  (no service binaries found under ${BUILD_DIR#"$ROOT"/}/services/; only the servers run)"
fi
for row in "${STARTED[@]}"; do
  read -r name grpc_port metrics_port <<<"$row"
  printf '  %-16s gRPC 127.0.0.1:%s   metrics http://127.0.0.1:%s/metrics   log .accord/logs/%s.log\n' \
    "$name" "$grpc_port" "$metrics_port" "$name"
done
if ((GATEWAY_UP)); then
  printf '  %-16s HTTP http://127.0.0.1:%s (OpenAPI: /openapi.json)   metrics http://127.0.0.1:%s/metrics   log .accord/logs/gateway.log\n' \
    gateway "$GATEWAY_HTTP_PORT" "$GATEWAY_METRICS_PORT"
fi
printf '  %-16s %s\n' PostgreSQL "$PG_URL" Redis "$REDIS_URL"
if [[ -x $ACCORDCTL ]]; then
  if token=$(env ACCORD_JWT_SECRET="$JWT_SECRET" ACCORD_JWT_ISSUER=accord-dev ACCORD_JWT_AUDIENCE=accord \
    "$ACCORDCTL" token --role admin --subject dev-admin 2>&1); then
    echo
    echo "Dev admin token (valid 8 h; send it as 'authorization: Bearer <token>'):"
    echo "  $token"
    if ((GATEWAY_UP)); then
      echo
      echo "Call the API over HTTP/JSON through the gateway:"
      echo "  curl -s -H \"Authorization: Bearer $token\" 'http://127.0.0.1:$GATEWAY_HTTP_PORT/v1/accounts?pageSize=5'"
    fi
  else
    say "could not mint a dev token: $token"
  fi
  echo
  echo "Use accordctl:"
  echo "  source .accord/dev.env"
  echo "  ${ACCORDCTL#"$ROOT"/} health"
  echo "  ${ACCORDCTL#"$ROOT"/} accounts create --display-name \"Acme\" --type commercial"
  echo "  ${ACCORDCTL#"$ROOT"/} accounts list --table"
  echo "  ${ACCORDCTL#"$ROOT"/} contacts create --given-name Ada --family-name Lovelace --email ada@example.com"
  echo "  ${ACCORDCTL#"$ROOT"/} price-lists list --table"
  echo "  ${ACCORDCTL#"$ROOT"/} cases list --as service_supervisor --table"
fi
echo
echo "Stop with scripts/down.sh (scripts/down.sh --purge also deletes .accord/)."
