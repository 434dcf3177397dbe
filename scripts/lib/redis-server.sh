#!/usr/bin/env bash
# Starts and stops a private, non-persistent Redis on 127.0.0.1; a thin CLI over servers.sh for
# callers that are not bash (the C++ test support). The pid is in DIR/redis.pid.
#
#   redis-server.sh start [--log FILE] DIR PORT   start daemonized and wait for PING
#   redis-server.sh stop DIR                      SIGTERM, wait, SIGKILL (no-op if stopped)
#   redis-server.sh kill DIR                      SIGKILL at once, like a crash
#   redis-server.sh status DIR                    exit 0 if running
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname -- "${BASH_SOURCE[0]}")/servers.sh"

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
  start) start_redis "$@" ;;
  stop) stop_redis "${1:?usage: redis-server.sh stop DIR}" ;;
  kill) kill_redis "${1:?usage: redis-server.sh kill DIR}" ;;
  status) redis_running "${1:?usage: redis-server.sh status DIR}" ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
    exit 2
    ;;
esac
