#!/usr/bin/env bash
# Installs every Debian package shootout needs (only what is missing, so a second run is quick),
# builds one Python virtual environment per app under test from its lock file (from PyPI), the
# tools venv (py-spy), and builds shootout in Release into build/. Idempotent; run as root or with
# sudo available.
#
#   scripts/setup.sh                    install and build
#   BUILD_DIR=out scripts/setup.sh
#   SHOOTOUT_WERROR=ON scripts/setup.sh warnings are errors (CI does this)
#
# The venvs live in .venvs/<app> (git ignores it), made with Debian's /usr/bin/python3 (3.11) and
# `pip install --require-hashes -r apps/<app>/requirements.txt`. A venv is rebuilt only when its
# lock file changed: the lock's SHA-256 is stored in .venvs/<app>/.lock-sha256 after a complete
# install. A failed install names the app and shows pip's last lines; the other apps still
# install, the C++ is still built, and setup exits 1 at the end.
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
  # the WebSocket client of bench/ws-echo-vs-python.sh (the original suite's approach)
  python3-websockets
  # the apps' database, and venv (ensurepip) for their virtual environments; the frameworks
  # themselves come from PyPI (apps/<app>/requirements.txt), not from Debian
  postgresql python3-venv
  # shards (docs/distributed.md): shootout-mpi is built when CMake finds MPI, and its tests run
  # four real ranks; faketime shifts one shard's wall clock in the clock-alignment test
  libopenmpi-dev openmpi-bin faketime
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

# One venv per lock file. Debian's interpreter, not whatever python3 is first on PATH, so every
# machine (and CI) builds the same environments; the image uses python:3.11 with the same locks.
venv_python=${SHOOTOUT_VENV_PYTHON:-/usr/bin/python3}
venvs=$root/.venvs
mkdir -p "$venvs"
failed=()
install_venv() {  # name lock_file
  local name=$1 lock=$2 venv=$venvs/$1 sum
  sum="$(sha256sum "$lock" | cut -d' ' -f1) $("$venv_python" -c 'import platform; print(platform.python_version())')"
  if [ -f "$venv/.lock-sha256" ] && [ "$(cat "$venv/.lock-sha256")" = "$sum" ]; then
    return 0
  fi
  echo "setup: installing $name's environment from ${lock#$root/} into ${venv#$root/}"
  rm -rf "$venv"
  local log=$venvs/$name.pip.log
  # --require-hashes: every package, transitive ones included, must be the pinned file.
  if "$venv_python" -m venv "$venv" >"$log" 2>&1 &&
     "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --require-hashes \
       -r "$lock" >>"$log" 2>&1; then
    echo "$sum" >"$venv/.lock-sha256"
    rm -f "$log"
  else
    echo "setup: error: $name: installing ${lock#$root/} failed; pip's error and last lines (whole log: ${log#$root/}):" >&2
    # From pip's first ERROR line on (what failed, and for a hash mismatch the package and the
    # hashes below it), else the end of the log.
    if grep -q '^ERROR' "$log"; then sed -n '/^ERROR/,$p' "$log" | head -n 12; else tail -n 12 "$log"; fi | sed 's/^/    /' >&2
    # No half-built venv: its check_command then fails and the shootout reports $name as not installed.
    rm -rf "$venv"
    failed+=("$name")
  fi
}
for app in flask django fastapi aquilia sanic tornado; do
  install_venv "$app" "$root/apps/$app/requirements.txt"
done
install_venv tools "$root/scripts/tools/requirements.txt"

# SHOOTOUT_WERROR is passed on only when set, so a build directory keeps its own choice otherwise.
cmake_options=(-DCMAKE_BUILD_TYPE=Release)
[ -z "${SHOOTOUT_WERROR:-}" ] || cmake_options+=(-DSHOOTOUT_WERROR="$SHOOTOUT_WERROR")
cmake -S "$root" -B "$build_dir" "${cmake_options[@]}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
echo "setup: built $build_dir/bin/shootout"

# The profiler spawns py-spy from PATH: link the tools venv's into /usr/local/bin, unless a
# py-spy that is not such a link is already there (someone's own install is left alone).
if [ -x "$venvs/tools/bin/py-spy" ]; then
  link=/usr/local/bin/py-spy
  if [ ! -e "$link" ] || [ -L "$link" ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    [ "$(readlink "$link" 2>/dev/null)" = "$venvs/tools/bin/py-spy" ] || $sudo ln -sfn "$venvs/tools/bin/py-spy" "$link"
  else
    echo "setup: note: $link is not a link to a venv; the profiler uses that py-spy, not ${venvs#$root/}/tools/bin/py-spy"
  fi
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "setup: error: the environment of ${failed[*]} could not be installed (see above); the shootout will report it as not installed" >&2
  exit 1
fi
