#!/usr/bin/env bash
# Checks deploy/prometheus/alerts.yaml with promtool (Debian's prometheus package) and runs its
# unit tests (tests/deploy/alerts_test.yaml). Debian builds Prometheus without Kubernetes service
# discovery, so its promtool cannot check prometheus.yml (kubernetes_sd_configs); it only parses.
#   check-alerts.sh PROMETHEUS_DIR
set -euo pipefail
DIR=$(cd -- "$1" && pwd -P)
SOURCE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
command -v promtool >/dev/null 2>&1 || {
  echo "promtool is missing: run scripts/deps.sh (Debian package prometheus)" >&2
  exit 1
}
promtool check rules "$DIR/alerts.yaml"
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
sed "s#ALERTS_FILE#$DIR/alerts.yaml#" "$SOURCE/alerts_test.yaml" >"$work/alerts_test.yaml"
promtool test rules "$work/alerts_test.yaml"
