#!/usr/bin/env bash
# The `http` scenario's per-request cost against `ping`'s, on the generator benchmark's setup.
#
# One-worker nginx serves /ping on CPU 1; shootout runs on CPU 0 with one thread and 50
# connections for DURATION seconds: `ping`, then `http` configured like ping (path /ping,
# text/plain, body "pong"), then `http` with placeholders (/ping?id={seq:8}&r={rand:1:999999},
# which nginx ignores), the order rotating each round, ROUNDS rounds. For each run it prints
# req/s and generator CPU per completed request (user + system time of the whole process, from
# /usr/bin/time), then the median ratio of each `http` to `ping`. The bar is 1.10.
#
# Usage: bench/http-vs-ping.sh [ROUNDS=3] [DURATION=10]
# Needs: nginx, python3, /usr/bin/time (scripts/setup.sh installs them), a built shootout; exits
# 77 (skipped) without them.
set -euo pipefail -f  # -f: the options below hold ? and braces, never file patterns
rounds=${1:-3}
duration=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
shootout=${SHOOTOUT:-$root/build/bin/shootout}
for tool in nginx python3 /usr/bin/time taskset curl "$shootout"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (run scripts/setup.sh)" >&2; exit 77; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs: the server on one, the generator on the other" >&2; exit 77; }

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$port backlog=4096;
    location = /ping { default_type text/plain; return 200 "pong"; }
  }
}
CONF
taskset -c 1 nginx -c "$work/nginx.conf" &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/ping" >/dev/null 2>&1 && break; sleep 0.1; done
url="http://127.0.0.1:$port"

declare -A options=(
  [ping]="--scenario ping"
  [http]="--scenario http --scenario-option path=/ping --scenario-option expect.content_type=text/plain --scenario-option expect.body=pong"
  [http-placeholders]="--scenario http --scenario-option path=/ping?id={seq:8}&r={rand:1:999999} --scenario-option expect.content_type=text/plain --scenario-option expect.body=pong"
)

run() {  # configuration -> "requests cpu_seconds"
  # shellcheck disable=SC2086 # the options are words on purpose
  /usr/bin/time -f "%U %S" -o "$work/time" taskset -c 0 "$shootout" --log-level warn run --target "$url" \
    ${options[$1]} --connections 50 --duration "$duration"s --warmup 0s --threads 1 --json >"$work/out" 2>"$work/err" || {
    echo "$1 failed:" >&2; cat "$work/err" >&2; exit 1; }
  local requests; requests=$(python3 -c "import json; print(json.load(open('$work/out'))['measurement']['completed'])")
  read -r user sys <"$work/time"
  echo "$requests $(python3 -c "print($user+$sys)")"
}

echo "nginx (1 worker) on CPU 1, shootout on CPU 0, 1 thread, 50 connections, ${duration}s, $rounds rounds"
printf '%-6s %-18s %12s %10s %12s\n' round configuration requests req/s "CPU us/req"
order=(ping http http-placeholders)
declare -A cost
for i in $(seq "$rounds"); do
  for name in "${order[@]}"; do
    read -r requests cpu < <(run "$name")
    us=$(python3 -c "print(f'{$cpu/$requests*1e6:.3f}')")
    cost[$name]+="$us "
    printf '%-6s %-18s %12s %10s %12s\n' "$i" "$name" "$requests" "$(python3 -c "print(round($requests/$duration))")" "$us"
  done
  order=("${order[@]:1}" "${order[0]}")  # rotate, so a drift of the machine favours none
done
python3 - "${cost[ping]}" "${cost[http]}" "${cost[http-placeholders]}" <<'PY'
import statistics, sys
ping, http, placeholders = ([float(x) for x in a.split()] for a in sys.argv[1:])
for name, runs in (("http like ping", http), ("http with placeholders", placeholders)):
    ratios = [h / p for h, p in zip(runs, ping)]
    print(f"CPU per request, {name} / ping: " + ", ".join(f"{r:.3f}" for r in ratios) +
          f"; median {statistics.median(ratios):.3f} (bar: 1.10)")
PY
