# shellcheck shell=bash
# Private PostgreSQL and Redis servers on loopback, for scripts/up.sh, scripts/test.sh and the C++
# test support (through the CLI wrappers pg-server.sh and redis-server.sh beside this file).
#
# Source it; every function returns non-zero (after printing why) on failure, and nothing here
# calls `exit`, so callers decide with their own `set -e`.
#
#   pg_bin_dir                          server binaries: $ACCORD_PG_BIN, else newest /usr/lib/postgresql/*/bin
#   port_in_use PORT                    something is listening on (or holding) 127.0.0.1:PORT
#   port_listening PORT                 something listens on PORT
#   free_loopback_port                  a port on 127.0.0.1 that was free a moment ago
#   start_postgres [--ephemeral] [--log FILE] DATA_DIR PORT
#                                       initdb if DATA_DIR is new, then start; --ephemeral turns fsync off
#   stop_postgres [--immediate] DATA_DIR
#   postgres_running DATA_DIR / postgres_port DATA_DIR
#   start_redis [--log FILE] DIR PORT   no persistence; pid file DIR/redis.pid
#   stop_redis DIR / kill_redis DIR / redis_running DIR / redis_port DIR
#
# PostgreSQL refuses to run as root. When we are root, the cluster belongs to an unprivileged
# system user ($ACCORD_PG_OS_USER, default `accord`, created on first use) and initdb/pg_ctl run as
# that user through runuser. Its data directory, and every directory above it, must be reachable
# by that user (a mktemp -d directory is 0700: chmod it 0711 first).

ACCORD_PG_OS_USER="${ACCORD_PG_OS_USER:-accord}"

_accord_log() { printf '[accord] %s\n' "$*" >&2; }
_accord_err() { printf '[accord] error: %s\n' "$*" >&2; return 1; }

# Absolute, physical path of a directory (created if missing).
_accord_abs_dir() {
  mkdir -p -- "$1" && (cd -- "$1" && pwd -P)
}

# True if PID is a live (non-zombie) process.
_accord_pid_alive() {
  local pid=$1 state
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r /proc/$pid/stat ]]; then
    state=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null) || return 0
    [[ $state != Z && $state != X ]] || return 1
  fi
  return 0
}

# True if PID is alive and its command line contains PATTERN (guards against reused pids).
_accord_pid_matches() {
  local pid=$1 pattern=$2
  _accord_pid_alive "$pid" || return 1
  if [[ -r /proc/$pid/cmdline ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern" || return 1
  fi
  return 0
}

# Waits up to SECONDS (default 10) for PID to exit.
_accord_wait_pid_gone() {
  local pid=$1 deadline=$((SECONDS + ${2:-10}))
  while _accord_pid_alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

pg_bin_dir() {
  if [[ -n "${ACCORD_PG_BIN:-}" ]]; then
    [[ -x "$ACCORD_PG_BIN/pg_ctl" ]] || _accord_err "ACCORD_PG_BIN=$ACCORD_PG_BIN has no pg_ctl" || return 1
    printf '%s\n' "$ACCORD_PG_BIN"
    return 0
  fi
  local dir best=""
  while IFS= read -r dir; do
    [[ -x "$dir/pg_ctl" && -x "$dir/initdb" ]] && best=$dir
  done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
  [[ -n $best ]] || _accord_err "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (run scripts/deps.sh, or set ACCORD_PG_BIN)" || return 1
  printf '%s\n' "$best"
}

port_in_use() {
  local port=$1
  if command -v ss >/dev/null 2>&1; then
    # Any TCP socket on that local port (listening, connected or TIME_WAIT) counts as taken.
    [[ -n "$(ss -Htan "sport = :$port" 2>/dev/null)" ]] && return 0
  fi
  # Something accepts connections there?
  if command -v timeout >/dev/null 2>&1; then
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null && return 0
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
  fi
  return 1
}

# Something is listening on PORT (TIME_WAIT leftovers of a stopped server do not count: servers
# bind with SO_REUSEADDR).
port_listening() {
  local port=$1
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]]
    return
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# Picks from 15000-32767, below Linux's default ephemeral range, so outgoing connections do not
# grab the port between this check and the server's bind.
free_loopback_port() {
  local i port
  for ((i = 0; i < 200; i++)); do
    port=$((15000 + (RANDOM * 32768 + RANDOM) % 17768))
    port_in_use "$port" || { printf '%s\n' "$port"; return 0; }
  done
  _accord_err "no free loopback port found"
}

# --- PostgreSQL -----------------------------------------------------------------------------

# Creates the unprivileged OS user that owns clusters when we run as root.
ensure_pg_os_user() {
  [[ $EUID -eq 0 ]] || return 0
  local user=$ACCORD_PG_OS_USER i
  for ((i = 0; i < 20; i++)); do
    getent passwd "$user" >/dev/null && return 0
    # Several test processes may race here; useradd locks /etc/passwd and one of them wins.
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin --comment "Accord local PostgreSQL" "$user" 2>/dev/null && return 0
    sleep 0.2
  done
  getent passwd "$user" >/dev/null || _accord_err "could not create system user '$user' (useradd)"
}

# Runs a command as the cluster's owner: ourselves, or $ACCORD_PG_OS_USER when we are root.
_pg_as_owner() {
  if [[ $EUID -ne 0 ]]; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    (cd / && runuser -u "$ACCORD_PG_OS_USER" -- "$@")
  else
    (cd / && su -s /bin/bash "$ACCORD_PG_OS_USER" -c "$(printf '%q ' "$@")")
  fi
}

postgres_running() {
  local dir=$1 bin
  [[ -f "$dir/postmaster.pid" ]] || return 1
  bin=$(pg_bin_dir) || return 1
  _pg_as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1
}

# The port a running (or last running) cluster listens on, from postmaster.pid.
postgres_port() {
  sed -n 4p "$1/postmaster.pid" 2>/dev/null
}

start_postgres() {
  local ephemeral=0 log=""
  while [[ $# -gt 0 ]]; do
    case $1 in
      --ephemeral) ephemeral=1; shift ;;
      --log) log=$2; shift 2 ;;
      --) shift; break ;;
      -*) _accord_err "start_postgres: unknown option $1"; return 1 ;;
      *) break ;;
    esac
  done
  [[ $# -eq 2 && -n $1 && $2 =~ ^[0-9]+$ ]] \
    || _accord_err "usage: start_postgres [--ephemeral] [--log FILE] DATA_DIR PORT" || return 1
  local dir port=$2 bin owner
  dir=$(_accord_abs_dir "$1") || return 1
  bin=$(pg_bin_dir) || return 1
  [[ -n $log ]] || log="$dir/postgres.log"

  if postgres_running "$dir"; then
    _accord_log "PostgreSQL already running in $dir (port $(postgres_port "$dir"))"
    return 0
  fi

  if [[ $EUID -eq 0 ]]; then
    ensure_pg_os_user || return 1
    owner=$ACCORD_PG_OS_USER
    chown "$owner:" "$dir" || return 1
  else
    owner=$(id -un)
  fi
  chmod 0700 "$dir" || return 1
  if ! _pg_as_owner test -w "$dir"; then
    _accord_err "user '$owner' cannot reach $dir: make each directory above it searchable (chmod o+x)"
    return 1
  fi

  if [[ ! -f "$dir/PG_VERSION" ]]; then
    if [[ -n "$(ls -A "$dir")" ]]; then
      _accord_err "$dir is neither empty nor a PostgreSQL data directory"
      return 1
    fi
    local initdb_args=(-D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-instructions)
    ((ephemeral)) && initdb_args+=(--no-sync)
    local initdb_out
    if ! initdb_out=$(_pg_as_owner "$bin/initdb" "${initdb_args[@]}" 2>&1); then
      printf '%s\n' "$initdb_out" >&2
      _accord_err "initdb failed for $dir"
      return 1
    fi
    printf "\n# Added by Accord's scripts/lib/servers.sh; rewritten on every start.\ninclude_if_exists = 'accord.conf'\n" \
      >>"$dir/postgresql.conf"
  fi

  # Unix sockets live in the data directory unless that path is too long for sun_path (108 bytes);
  # then TCP on 127.0.0.1 only.
  local socket_dir=$dir
  ((${#dir} + 16 < 100)) || socket_dir=""
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '${socket_dir//\'/\'\'}'"
    echo "max_connections = 200"
    if ((ephemeral)); then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } >"$dir/accord.conf" || return 1
  [[ $EUID -ne 0 ]] || chown "$owner:" "$dir/accord.conf"

  mkdir -p -- "$(dirname -- "$log")" && touch -- "$log" || return 1
  [[ $EUID -ne 0 ]] || chown "$owner:" "$log"

  if ! _pg_as_owner "$bin/pg_ctl" -D "$dir" -l "$log" -w -t 60 -s start; then
    echo "--- last lines of $log ---" >&2
    tail -n 20 -- "$log" >&2 || true
    _accord_err "PostgreSQL did not start in $dir on port $port"
    return 1
  fi
}

stop_postgres() {
  local mode=fast
  if [[ ${1:-} == --immediate ]]; then mode=immediate; shift; fi
  [[ $# -eq 1 && -n $1 ]] || _accord_err "usage: stop_postgres [--immediate] DATA_DIR" || return 1
  local dir=$1 bin
  [[ -f "$dir/postmaster.pid" ]] || return 0
  bin=$(pg_bin_dir) || return 1
  postgres_running "$dir" || return 0
  if ! _pg_as_owner "$bin/pg_ctl" -D "$dir" -m "$mode" -w -t 60 -s stop; then
    _pg_as_owner "$bin/pg_ctl" -D "$dir" -m immediate -w -t 30 -s stop \
      || _accord_err "PostgreSQL in $dir did not stop" || return 1
  fi
}

# --- Redis ----------------------------------------------------------------------------------

redis_pid() {
  local pid
  pid=$(cat "$1/redis.pid" 2>/dev/null) || return 1
  _accord_pid_matches "$pid" redis-server || return 1
  printf '%s\n' "$pid"
}

redis_running() {
  redis_pid "$1" >/dev/null
}

redis_port() {
  cat "$1/redis.port" 2>/dev/null
}

# True once the server on PORT answers PING (plain bash, no redis-cli needed).
_redis_ping() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 line <&3 || exit 1
    [[ $line == "+PONG"* ]]
  ) 2>/dev/null
}

start_redis() {
  local log=""
  if [[ ${1:-} == --log ]]; then log=$2; shift 2; fi
  [[ $# -eq 2 && -n $1 && $2 =~ ^[0-9]+$ ]] \
    || _accord_err "usage: start_redis [--log FILE] DIR PORT" || return 1
  local dir port=$2
  dir=$(_accord_abs_dir "$1") || return 1
  [[ -n $log ]] || log="$dir/redis.log"
  command -v redis-server >/dev/null 2>&1 || _accord_err "redis-server not found (run scripts/deps.sh)" || return 1

  if redis_running "$dir"; then
    _accord_log "Redis already running in $dir (port $(redis_port "$dir"))"
    return 0
  fi
  rm -f -- "$dir/redis.pid"
  mkdir -p -- "$(dirname -- "$log")" || return 1
  echo "$port" >"$dir/redis.port"
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --dir "$dir" --logfile "$log" || {
    _accord_err "redis-server failed to start (see $log)"
    return 1
  }
  local deadline=$((SECONDS + 15))
  until _redis_ping "$port" && redis_running "$dir"; do
    if ((SECONDS >= deadline)); then
      echo "--- last lines of $log ---" >&2
      tail -n 20 -- "$log" >&2 || true
      _accord_err "Redis did not start in $dir on port $port"
      return 1
    fi
    sleep 0.1
  done
}

# SIGTERM, wait, then SIGKILL.
stop_redis() {
  local dir=$1 pid
  pid=$(redis_pid "$dir") || { rm -f -- "$dir/redis.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  if ! _accord_wait_pid_gone "$pid" 10; then
    kill -KILL "$pid" 2>/dev/null || true
    _accord_wait_pid_gone "$pid" 10 || _accord_err "Redis (pid $pid) did not exit" || return 1
  fi
  rm -f -- "$dir/redis.pid"
}

# SIGKILL at once, like a crash; a non-persistent Redis loses everything.
kill_redis() {
  local dir=$1 pid
  pid=$(redis_pid "$dir") || { rm -f -- "$dir/redis.pid"; return 0; }
  kill -KILL "$pid" 2>/dev/null || true
  _accord_wait_pid_gone "$pid" 10 || _accord_err "Redis (pid $pid) did not exit" || return 1
  rm -f -- "$dir/redis.pid"
}
