#!/usr/bin/env bash
# Checks deploy/docker without a Docker daemon: dockerfile-utils lints the Dockerfile; every base
# image is pinned by digest (directly or through an ARG), never `latest`; the image runs as a
# numeric non-root user; the build context is allow-listed (.dockerignore starting from `**`);
# the entrypoint parses.
#   check-image.sh DOCKER_DIR TOOLS_DIR
set -euo pipefail
DIR=$1
TOOLS=$2
DOCKERFILE=$DIR/Dockerfile
status=0
fail() {
  echo "FAIL $*" >&2
  status=1
}

"$TOOLS/node_modules/.bin/dockerfile-utils" lint "$DOCKERFILE" || fail "dockerfile-utils lint"

declare -A args=()
while read -r name value; do
  args[$name]=$value
done < <(sed -nE 's/^ARG ([A-Za-z_]+)=(.*)$/\1 \2/p' "$DOCKERFILE")
stages=()
while read -r image stage; do
  if [[ $image =~ ^\$\{?([A-Za-z_]+)\}?$ ]]; then
    image=${args[${BASH_REMATCH[1]}]:-}
  fi
  if [[ " ${stages[*]} " == *" $image "* ]]; then
    :
  elif [[ ! $image =~ @sha256:[0-9a-f]{64}$ ]]; then
    fail "base image '$image' is not pinned by digest"
  elif [[ $image =~ :latest@ ]]; then
    fail "base image '$image' names latest"
  fi
  [[ -n $stage ]] && stages+=("$stage")
done < <(sed -nE 's/^FROM[[:space:]]+(--platform=[^[:space:]]+[[:space:]]+)?([^[:space:]]+)([[:space:]]+AS[[:space:]]+([^[:space:]]+))?.*$/\2 \4/Ip' "$DOCKERFILE")
((${#stages[@]} >= 1)) || fail "not a multi-stage build"

user=$(sed -nE 's/^USER[[:space:]]+([^[:space:]]+).*/\1/p' "$DOCKERFILE" | tail -1)
[[ $user =~ ^[1-9][0-9]*(:[0-9]+)?$ ]] || fail "last USER '$user' is not a numeric non-root uid"

ignore=$DIR/Dockerfile.dockerignore
[[ -f $ignore ]] || fail "no $ignore"
[[ -f $ignore && $(grep -v '^#' "$ignore" | grep -m1 .) == '**' ]] ||
  fail "$ignore does not start by excluding everything (**)"

sh -n "$DIR/entrypoint.sh" || fail "entrypoint.sh does not parse"
if ((status == 0)); then
  echo "image: Dockerfile, .dockerignore and entrypoint pass"
fi
exit "$status"
