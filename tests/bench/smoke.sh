#!/usr/bin/env bash
# ctest bench_smoke: runs `scripts/bench.sh --smoke --no-build` against this build tree, with its
# own PostgreSQL and Redis, and checks that the report was written and that no scenario FAILED.
# Numbers are not asserted: a smoke run on a busy 2-core machine measures nothing.
#   smoke.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: smoke.sh SOURCE_DIR BUILD_DIR" >&2; exit 2; }
SOURCE_DIR=$1
BUILD_DIR=$2
# Under scripts/test.sh, inside its temporary directory (its cleanup stops any server left there);
# otherwise in the build tree, away from a developer's .bench/.
if [[ -n ${ACCORD_TEST_TMPDIR:-} ]]; then
  BENCH_DIR="$ACCORD_TEST_TMPDIR/bench-smoke"
else
  BENCH_DIR="$BUILD_DIR/bench-smoke"
fi
rm -f -- "$BENCH_DIR/report.json" "$BENCH_DIR/report.md"

status=0
BUILD_DIR="$BUILD_DIR" BENCH_DIR="$BENCH_DIR" bash "$SOURCE_DIR/scripts/bench.sh" --smoke --no-build \
  || status=$?

report="$BENCH_DIR/report.json"
if [[ ! -s $report ]]; then
  echo "bench_smoke: FAIL: no report was written (bench.sh exited $status)" >&2
  exit 1
fi
[[ -f $BENCH_DIR/report.md ]] && cat "$BENCH_DIR/report.md"
failed=$(jq -r '[.scenarios[] | select(.status != "OK" and .status != "NOT_AVAILABLE") | .name] | join(", ")' "$report")
count=$(jq '[.scenarios[] | select(.status == "OK")] | length' "$report")
if [[ -n $failed ]]; then
  echo "bench_smoke: FAIL: scenarios failed: $failed" >&2
  jq -r '.scenarios[] | select(.status == "FAILED") | "  \(.name): \(.reasons | join("; "))"' "$report" >&2
  exit 1
fi
if ((count == 0)); then
  echo "bench_smoke: FAIL: no scenario ran" >&2
  exit 1
fi
if ((status != 0)); then
  echo "bench_smoke: FAIL: bench.sh exited $status" >&2
  exit 1
fi
echo "bench_smoke: $count scenarios OK, none failed"
