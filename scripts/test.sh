#!/usr/bin/env bash
# Builds everything (scripts/build.sh) and runs the whole test suite with ctest against
# a throwaway PostgreSQL and Redis on free loopback ports. Extra arguments go to ctest:
#   scripts/test.sh -L unit            only unit tests
#   scripts/test.sh -L integration     only integration tests
#   scripts/test.sh -R AccountStore    tests whose name matches
#   scripts/test.sh --sanitize     also build the unit and integration test binaries with
#                                  AddressSanitizer and UndefinedBehaviorSanitizer (in
#                                  $SANITIZE_BUILD_DIR, default build-sanitize/; docs/testing.md)
#                                  and run those tests there instead, against the same servers;
#                                  the Release build runs the others (what CI runs: .ci/run)
# It first checks that every C++ and proto file is clang-formatted (scripts/format.sh --check).
# BUILD_DIR picks the build directory (default: build). Exits non-zero if any test failed.
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"

SANITIZE=0
if [[ ${1:-} == --sanitize ]]; then
  SANITIZE=1
  shift
fi

BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR
# Each phase's wall time goes to the log, so CI's total can be taken apart (docs/testing.md).
phase_start=$SECONDS
phase_done() {
  echo "[accord] phase: $1 took $((SECONDS - phase_start)) s" >&2
  phase_start=$SECONDS
}
"$ROOT/scripts/deps.sh" # clang-format among them
format_status=0
"$ROOT/scripts/format.sh" --check || format_status=1
phase_done "dependencies and format check"
ACCORD_BUILD_BENCH=ON "$ROOT/scripts/build.sh"
phase_done "Release build"
SANITIZE_BUILD_DIR=${SANITIZE_BUILD_DIR:-build-sanitize}
# How an instrumented binary runs, in the build too (gtest_discover_tests lists each binary's tests
# when it is linked). A finding ends the process with a failure; LeakSanitizer is off: gRPC and
# abseil keep process-lifetime singletons it would report, and several fixtures keep a shared
# server in a static on purpose (docs/testing.md); it also needs ptrace, which a container may deny.
SANITIZER_ENV=(ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1)
if ((SANITIZE)); then
  # Only the test binaries (no servers, tools, bench or web console): what the pass runs. Build
  # type None: only the flags ACCORD_SANITIZE adds to Accord's own code (-O0, no debug
  # information, NDEBUG). The generated protobuf/gRPC code is not compiled again: it links the
  # libraries the Release build above has just made (ACCORD_PROTO_LIBS_FROM; docs/testing.md).
  proto_libs_from=$BUILD_DIR
  [[ $proto_libs_from == /* ]] || proto_libs_from="$ROOT/$proto_libs_from"
  cmake -S . -B "$SANITIZE_BUILD_DIR" -DCMAKE_BUILD_TYPE=None -DACCORD_SANITIZE=ON \
    -DACCORD_BUILD_BENCH=OFF -DACCORD_PROTO_LIBS_FROM="$proto_libs_from"
  env "${SANITIZER_ENV[@]}" cmake --build "$SANITIZE_BUILD_DIR" -j"${JOBS:-$(nproc)}" \
    --target accord_tests
  phase_done "sanitized build (accord_tests)"
fi

# shellcheck source-path=SCRIPTDIR source=lib/servers.sh
source "$ROOT/scripts/lib/servers.sh"

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/accord-test.XXXXXX")
# The unprivileged PostgreSQL user (when we are root) must be able to reach data directories below.
chmod 0711 "$TEST_TMP"

# shellcheck disable=SC2317  # called through trap
cleanup() {
  local status=$? f
  trap - EXIT INT TERM
  # The shared servers, and any private ones a crashed test left behind.
  while IFS= read -r f; do
    stop_postgres --immediate "$(dirname -- "$f")" || true
  done < <(find "$TEST_TMP" -name postmaster.pid 2>/dev/null)
  while IFS= read -r f; do
    kill_redis "$(dirname -- "$f")" || true
  done < <(find "$TEST_TMP" -name redis.pid 2>/dev/null)
  rm -rf -- "$TEST_TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port picked as free can still be taken before the server binds it: try a few.
start_with_retries() {
  local what=$1 dir=$2 attempt port
  for attempt in 1 2 3; do
    port=$(free_loopback_port)
    if "$what" "$dir" "$port" >&2; then
      printf '%s\n' "$port"
      return 0
    fi
    echo "[accord] attempt $attempt to start $what on port $port failed" >&2
  done
  return 1
}
# shellcheck disable=SC2317  # called indirectly
start_test_postgres() { start_postgres --ephemeral "$@"; }

PG_PORT=$(start_with_retries start_test_postgres "$TEST_TMP/shared-pg")
REDIS_PORT=$(start_with_retries start_redis "$TEST_TMP/shared-redis")

export ACCORD_TEST_PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
export ACCORD_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
ACCORD_PG_BIN=$(pg_bin_dir)
export ACCORD_PG_BIN
export ACCORD_SCRIPTS_DIR="$ROOT/scripts"
# Private servers started by tests put their data here, so cleanup() catches leftovers.
export ACCORD_TEST_TMPDIR="$TEST_TMP"
echo "[accord] test PostgreSQL: $ACCORD_TEST_PG_URL  Redis: $ACCORD_TEST_REDIS_URL" >&2

set +e
# With --sanitize the unit and integration tests run once, under the sanitizers below; the Release
# build runs the rest (web console, e2e, deploy, bench smoke), whose server binaries and tools only
# it makes. Without it, the Release build runs everything (docs/testing.md, "CI's time").
release_only=()
((SANITIZE)) && release_only=(-LE '^(unit|integration)$')
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "${release_only[@]}" "$@"
status=$?
phase_done "tests (Release build)"
if ((SANITIZE)); then
  echo "[accord] the unit and integration tests under AddressSanitizer and UndefinedBehaviorSanitizer" >&2
  env "${SANITIZER_ENV[@]}" ctest --test-dir "$SANITIZE_BUILD_DIR" --output-on-failure -j2 \
    -L '^(unit|integration)$' "$@"
  asan_status=$?
  phase_done "unit and integration tests under ASan and UBSan"
  ((status != 0)) || status=$asan_status
fi
((status != 0)) || status=$format_status
set -e
exit "$status"
