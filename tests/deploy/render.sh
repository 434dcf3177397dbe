#!/usr/bin/env bash
# Renders every overlay under K8S_DIR/overlays with `kubectl kustomize` into OUT_DIR/<overlay>.yaml
# and fails on any error or warning (kustomize prints deprecations and the like to stderr).
#   render.sh K8S_DIR OUT_DIR [TOOLS_DIR]     (TOOLS_DIR/kubectl, else kubectl on PATH)
set -euo pipefail
K8S_DIR=$1
OUT_DIR=$2
TOOLS_DIR=${3:-}
KUBECTL=kubectl
if [[ -n $TOOLS_DIR && -x $TOOLS_DIR/kubectl ]]; then
  KUBECTL=$TOOLS_DIR/kubectl
fi
mkdir -p "$OUT_DIR"
rm -f "$OUT_DIR"/*.yaml
status=0
count=0
for overlay in "$K8S_DIR"/overlays/*/; do
  name=$(basename "$overlay")
  warnings=$(mktemp)
  if ! "$KUBECTL" kustomize "$overlay" >"$OUT_DIR/$name.yaml" 2>"$warnings"; then
    echo "FAIL $name: kustomize failed" >&2
    status=1
  fi
  if [[ -s $warnings ]]; then
    echo "FAIL $name: kustomize wrote to stderr:" >&2
    status=1
  fi
  cat "$warnings" >&2
  rm -f "$warnings"
  objects=$(grep -c '^kind:' "$OUT_DIR/$name.yaml" || true)
  echo "rendered $name: $objects objects"
  count=$((count + 1))
done
if ((count == 0)); then
  echo "FAIL no overlays under $K8S_DIR/overlays" >&2
  exit 1
fi
exit "$status"
