#!/usr/bin/env bash
# Stops what scripts/up.sh started: the services (SIGTERM, then SIGKILL after 35 s), Redis and
# PostgreSQL. --purge also deletes .accord/ (databases, logs, dev.env and its secrets).
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source-path=SCRIPTDIR source=lib/servers.sh
source "$ROOT/scripts/lib/servers.sh"

# The comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$ROOT/scripts/$(basename -- "$0")"; }

PURGE=0
for arg in "$@"; do
  case $arg in
    --purge) PURGE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "down.sh: unknown argument $arg (--purge)" >&2; exit 2 ;;
  esac
done

STATE_DIR="$ROOT/.accord"
RUN_DIR="$STATE_DIR/run"
say() { printf '[accord] %s\n' "$*" >&2; }

# All services first (they hold connections to the servers), in parallel.
pids=()
for pidfile in "$RUN_DIR"/*.pid; do
  [[ -e $pidfile ]] || continue
  name=$(basename "$pidfile" .pid)
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if _accord_pid_matches "$pid" "accord-$name"; then
    say "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$name:$pid")
  fi
done
for entry in "${pids[@]}"; do
  name=${entry%%:*}
  pid=${entry#*:}
  if ! _accord_wait_pid_gone "$pid" 35; then
    say "$name did not exit after SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    _accord_wait_pid_gone "$pid" 10 || say "$name (pid $pid) is still there"
  fi
done
rm -f "$RUN_DIR"/*.pid

if redis_running "$STATE_DIR/redis"; then
  say "stopping Redis"
  stop_redis "$STATE_DIR/redis"
fi
if postgres_running "$STATE_DIR/pg"; then
  say "stopping PostgreSQL"
  stop_postgres "$STATE_DIR/pg"
fi

if ((PURGE)); then
  say "deleting .accord/"
  rm -rf -- "$STATE_DIR"
fi
say "down"
