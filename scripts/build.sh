#!/usr/bin/env bash
# Installs dependencies (scripts/deps.sh) and builds everything: services, accordctl and tests.
#   BUILD_DIR         build directory (default: build, relative to the repository root)
#   CMAKE_BUILD_TYPE  default Release
#   JOBS              parallel compile jobs (default: nproc)
#   ACCORD_BUILD_BENCH=ON   also the benchmark tools (scripts/bench.sh and scripts/test.sh set it)
#   ACCORD_SANITIZE=ON      AddressSanitizer and UndefinedBehaviorSanitizer (use another BUILD_DIR)
#   ACCORD_BUILD_WEB=OFF    skip the web console (web/ -> $BUILD_DIR/web, needs Node.js and npm)
#   TARGETS           build only these targets (e.g. accord_tests: every unit and integration
#                     test binary; default: all)
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"

"$ROOT/scripts/deps.sh"

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-Release}" \
  -DACCORD_BUILD_BENCH="${ACCORD_BUILD_BENCH:-OFF}" -DACCORD_SANITIZE="${ACCORD_SANITIZE:-OFF}"
# shellcheck disable=SC2086  # TARGETS is a list
cmake --build "$BUILD_DIR" -j"${JOBS:-$(nproc)}" ${TARGETS:+--target $TARGETS}

# The web console: npm ci from the committed lock (esbuild only), bundled into $BUILD_DIR/web, the
# directory accord-gateway serves at / (ACCORD_GATEWAY_STATIC_DIR). Not committed.
if [[ ${ACCORD_BUILD_WEB:-ON} != OFF ]]; then
  web_out=$BUILD_DIR
  [[ $web_out == /* ]] || web_out="$ROOT/$web_out"
  (cd "$ROOT/web" && npm ci --no-audit --no-fund --loglevel=error && node build.mjs "$web_out/web")
fi
