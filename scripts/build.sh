#!/usr/bin/env bash
# Installs dependencies (scripts/deps.sh) and builds everything: services, accordctl and tests.
#   BUILD_DIR         build directory (default: build, relative to the repository root)
#   CMAKE_BUILD_TYPE  default Release
#   JOBS              parallel compile jobs (default: nproc)
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"

"$ROOT/scripts/deps.sh"

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-Release}"
cmake --build "$BUILD_DIR" -j"${JOBS:-$(nproc)}"
