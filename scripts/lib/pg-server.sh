#!/usr/bin/env bash
# Starts and stops a private PostgreSQL cluster; a thin CLI over servers.sh for callers that are
# not bash (the C++ test support). When run as root the cluster runs as an unprivileged user.
#
#   pg-server.sh start [--ephemeral] [--log FILE] DATA_DIR PORT   initdb if new, start, wait
#   pg-server.sh stop [--immediate] DATA_DIR                      stop and wait (no-op if stopped)
#   pg-server.sh status DATA_DIR                                  exit 0 if running
#   pg-server.sh bin-dir                                          print the server binary directory
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname -- "${BASH_SOURCE[0]}")/servers.sh"

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
  start) start_postgres "$@" ;;
  stop) stop_postgres "$@" ;;
  status) postgres_running "${1:?usage: pg-server.sh status DATA_DIR}" ;;
  bin-dir) pg_bin_dir ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
    exit 2
    ;;
esac
