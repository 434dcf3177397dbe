#!/usr/bin/env bash
# The gateway's gRPC-Web test with the standard npm client (ctest grpcweb_client, label e2e):
# installs the test's packages from the committed lock, then runs it under Node's test runner
# against a suite it starts on free ports (ACCORD_TEST_PG_URL / ACCORD_TEST_REDIS_URL from
# scripts/test.sh).
#   BUILD_DIR              the build directory with the services, the gateway and web/
#   ACCORD_GRPCWEB_OUT     the suite's logs (default $BUILD_DIR/grpcweb-output)
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
cd "$HERE"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
exec node --test --test-reporter=spec grpcweb.test.mjs
