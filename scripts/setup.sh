#!/usr/bin/env bash
# Installs every Debian package shootout needs (only what is missing, so a second run is quick)
# and builds it in Release into build/. Idempotent; run as root or with sudo available.
#
#   scripts/setup.sh            install and build
#   BUILD_DIR=out scripts/setup.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}

packages=(
  # toolchain
  build-essential cmake pkg-config git
  # clang and its runtimes (libFuzzer, sanitizers) for the fuzz preset (docs/hardening.md)
  clang-14 libclang-rt-14-dev
  # libraries (Boost 1.81, not the default 1.74: the two conflict)
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev libpqxx-dev catch2 libcli11-dev libssl-dev
  # peers and tools for tests and benchmarks
  curl python3 time procps nginx-light wrk
  # headless Chromium opens the html report in a test (scripts/check-html-report.py)
  chromium
  # perf: the native profiler ([profile] profiler = "perf") and its test
  linux-perf
  # docker-compose validates docker-compose.yml without an engine, for the consistency test
  docker-compose python3-yaml
  # the systems under test that Debian packages (apps/README.md), and their database
  postgresql python3-flask python3-django python3-fastapi python3-uvicorn python3-h11 python3-tornado
  python3-asyncpg python3-psycopg2 python3-websockets python3-uvloop python3-multipart gunicorn
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
echo "setup: built $build_dir/bin/shootout"
