#!/bin/sh
# The image's entrypoint: the first argument names what to run.
#   account [ARGS...]      accord-account ARGS (likewise contact, pricing-terms, service-quality,
#                          gateway)
#   accordctl [ARGS...]    the CLI
#   anything else          run as given (e.g. sh)
set -eu
[ "$#" -gt 0 ] || set -- account
name=$1
shift
if [ "$name" = accordctl ]; then
  exec /usr/local/bin/accordctl "$@"
fi
if [ -x "/usr/local/bin/accord-$name" ]; then
  exec "/usr/local/bin/accord-$name" "$@"
fi
if command -v "$name" >/dev/null 2>&1; then
  exec "$name" "$@"
fi
available=""
for bin in /usr/local/bin/accord-*; do
  [ -x "$bin" ] && available="$available ${bin#/usr/local/bin/accord-}"
done
echo "accord: unknown service '$name'; available:$available accordctl" >&2
exit 64
