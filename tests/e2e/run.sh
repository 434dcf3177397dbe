#!/usr/bin/env bash
# The web console's end-to-end tests (ctest label e2e; scripts/test.sh -L e2e). Installs the test's
# npm packages from the committed lock, then runs the scenarios with Node's test runner against a
# suite it starts itself on free ports (ACCORD_TEST_PG_URL / ACCORD_TEST_REDIS_URL from test.sh).
#   BUILD_DIR        the build directory with the services, the gateway and web/ (the console)
#   ACCORD_E2E_OUT   screenshots, axe reports and the suite's logs (default $BUILD_DIR/e2e-output)
#   ACCORD_CHROMIUM  the browser (default /usr/bin/chromium, Debian's chromium)
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
cd "$HERE"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
exec node --test --test-reporter=spec console.test.mjs
