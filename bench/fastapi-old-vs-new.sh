#!/usr/bin/env bash
# What the upgrade to PyPI releases changed, on FastAPI's /ping: the old app (git main before the
# venvs: FastAPI 0.92 from Debian 12's python3-fastapi, uvicorn 0.17 on the pure-Python h11
# parser) against the current app from .venvs/fastapi, on h11 and on httptools (its serve.sh).
# Each server runs alone on CPU 1 with one worker, the generator on CPU 0:
#   shootout run --target ... --scenario ping --connections 50 --warmup 2s --duration 10s --json
# in ROUNDS rounds (default 2), the three setups alternating; prints req/s of each run and the
# median per setup. Needs Debian's python3-fastapi python3-uvicorn python3-asyncpg (no longer
# installed by setup.sh: `apt-get install` them), a built shootout, .venvs/fastapi, and a
# PostgreSQL at DATABASE_URL (the apps open their pool at start-up; /ping does not use it).
#
#   DATABASE_URL=postgresql://bench:bench@127.0.0.1:5432/bench bench/fastapi-old-vs-new.sh [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-2}
shootout=${SHOOTOUT:-$root/build/bin/shootout}
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL with apps/shared/init.sql loaded}"
/usr/bin/python3 -c 'import fastapi, uvicorn, asyncpg' 2>/dev/null ||
  { echo "missing: Debian's python3-fastapi python3-uvicorn python3-asyncpg (apt-get install them)" >&2; exit 77; }
[ -x "$root/.venvs/fastapi/bin/python" ] || { echo "missing: .venvs/fastapi (run scripts/setup.sh)" >&2; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/old"
# The old app as it was before the venvs (commit e0de243, the branch point).
git -C "$root" show e0de243:apps/fastapi/app.py >"$work/old/app.py"
old_version=$(/usr/bin/python3 -c 'import fastapi, uvicorn; print(f"fastapi {fastapi.__version__}, uvicorn {uvicorn.__version__}")')
new_version=$("$root/.venvs/fastapi/bin/python" -c 'from importlib.metadata import version as v; print("fastapi", v("fastapi") + ", uvicorn", v("uvicorn"))')

start() {  # setup port -> pid of the server
  local setup=$1 port=$2
  case $setup in
    old) (cd "$work/old" && exec taskset -c 1 /usr/bin/python3 -m uvicorn app:app --app-dir "$work/old" --port "$port" \
            --workers 1 --http h11 --log-level warning --no-access-log) ;;
    new-h11) exec taskset -c 1 "$root/.venvs/fastapi/bin/python" -m uvicorn app:app --app-dir "$root/apps/fastapi" \
            --port "$port" --workers 1 --http h11 --loop uvloop --log-level warning --no-access-log ;;
    new-httptools) PORT=$port WORKERS=1 exec taskset -c 1 "$root/apps/fastapi/serve.sh" ;;
  esac
}
declare -A results
port=18990
for round in $(seq "$rounds"); do
  for setup in old new-h11 new-httptools; do
    port=$((port + 1))
    start "$setup" "$port" >"$work/$setup.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/ping" >/dev/null && break; sleep 0.1; done
    rps=$(taskset -c 0 "$shootout" run --target "http://127.0.0.1:$port" --scenario ping --connections 50 \
            --warmup 2s --duration 10s --json 2>/dev/null | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(round(d["measurement"]["rate"]) if d["verdict"]["ok"] else "failed")')
    kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    echo "round $round  $setup: $rps req/s"
    results[$setup]="${results[$setup]:-} $rps"
  done
done
for setup in old new-h11 new-httptools; do
  label=$new_version; [ "$setup" = old ] && label="$old_version (Debian 12), h11"
  [ "$setup" = new-h11 ] && label="$new_version, h11, uvloop"
  [ "$setup" = new-httptools ] && label="$new_version, httptools, uvloop (serve.sh)"
  median=$(printf '%s\n' ${results[$setup]} | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  echo "median  $setup ($label): $median req/s"
done
