#!/usr/bin/env bash
# Installs the Debian 12 packages Accord needs to build, test and run locally. Idempotent: when
# everything is installed it only checks (dpkg-query) and changes nothing. Needs root, or sudo.
# ACCORD_SKIP_DEPS=1 skips it entirely (for machines managed some other way).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake pkg-config ccache git clang-format
  # libraries
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libpqxx-dev libhiredis-dev libspdlog-dev nlohmann-json3-dev libssl-dev openssl
  libgtest-dev libgmock-dev googletest
  libgoogle-perftools-dev libnghttp2-dev
  # contact service: libsodium seals personal data and keys the lookup hash, libphonenumber
  # normalises phones to E.164, ICU knows the IANA time zones (libphonenumber needs it too)
  libsodium-dev libphonenumber-dev libicu-dev
  # service-quality: business-hours arithmetic in IANA time zones (date/tz.h, reads the system
  # /usr/share/zoneinfo from tzdata: Debian builds it with USE_OS_TZDB)
  libhowardhinnant-date-dev tzdata
  # webhooks: libcurl POSTs the deliveries (http and https through OpenSSL, timeouts, no event
  # loop of ours: a blocking client per delivery thread is all the worker needs)
  libcurl4-openssl-dev
  # gateway: Boost.Beast (HTTP/1.1 server) and Boost.Asio, header-only in Debian's Boost; maintained,
  # packaged, and the same event loop model as the rest of the suite's I/O
  libboost1.74-dev
  # servers and clients for local runs and tests (PostgreSQL binaries: /usr/lib/postgresql/15/bin)
  postgresql-15 redis-server redis-tools nghttp2-client
  # the web console's end-to-end tests (tests/e2e, label e2e): a real browser, headless, driven by
  # puppeteer-core; Noto CJK so zh-TW pages render real glyphs in the screenshots
  chromium fonts-noto-cjk
  # deploy checks (tests/deploy): promtool checks and unit-tests the Prometheus alert rules
  prometheus
)
# The deploy checks also run Node (kubernetes-models validates the rendered manifests, offline):
# Debian's nodejs and npm, unless a Node is already installed some other way.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

if [[ ${ACCORD_SKIP_DEPS:-0} == 1 ]]; then
  exit 0
fi
if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "[accord] deps.sh: no dpkg/apt-get here; install the equivalents of: ${PACKAGES[*]}" >&2
  echo "[accord] then re-run with ACCORD_SKIP_DEPS=1" >&2
  exit 1
fi

installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true)
missing=()
for pkg in "${PACKAGES[@]}"; do
  grep -qE "^${pkg//+/\\+} ii" <<<"$installed" || missing+=("$pkg")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=()
if [[ $EUID -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "[accord] deps.sh: missing packages (${missing[*]}) and not root, and no sudo" >&2
    exit 1
  fi
fi

echo "[accord] installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
