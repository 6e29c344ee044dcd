#!/usr/bin/env bash
# Compares shootout's load generator with wrk on the same server, in the same run.
#
# One-worker nginx serves /ping on CPU 1; the generator runs on CPU 0 with one thread and 50
# connections for DURATION seconds, shootout and wrk alternately, PAIRS times. For each run it
# prints req/s and generator CPU per completed request (user + system time of the whole
# process, from /usr/bin/time), then the median ratio shootout / wrk. Who goes first alternates. A second part opens
# 10,000 connections with each tool and prints their peak RSS. A third part measures req/s of
# both against a server that is the bottleneck (a single-threaded Python server on CPU 1).
#
# Usage: bench/generator-vs-wrk.sh [PAIRS=3] [DURATION=10]
# Needs: nginx, wrk, python3, /usr/bin/time (scripts/setup.sh installs them), a built shootout.
set -euo pipefail
pairs=${1:-3}
duration=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
shootout=${SHOOTOUT:-$root/build/bin/shootout}
for tool in nginx wrk python3 /usr/bin/time taskset "$shootout"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (run scripts/setup.sh)" >&2; exit 2; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs: the server on one, the generator on the other" >&2; exit 2; }

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 20000; }
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
ulimit -n "$(ulimit -Hn)"  # 10,000 connections need more than the usual 1,024 descriptors
url="http://127.0.0.1:$port"

run_wrk() {  # connections seconds -> "requests cpu_seconds peak_kb"
  /usr/bin/time -f "%U %S %M" -o "$work/time" taskset -c 0 wrk -t1 -c"$1" -d"$2"s "$url/ping" >"$work/wrk.out" 2>&1
  local requests; requests=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  local non2xx; non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.out"); non2xx=${non2xx:-0}
  read -r user sys rss <"$work/time"
  echo "$((requests - non2xx)) $(python3 -c "print($user+$sys)") $rss"
}
run_shootout() {
  /usr/bin/time -f "%U %S %M" -o "$work/time" taskset -c 0 "$shootout" --log-level warn run --target "$url" \
    --scenario ping --connections "$1" --duration "$2"s --warmup 0s --threads 1 --json >"$work/shootout.out" 2>"$work/shootout.err"
  local requests; requests=$(python3 -c "import json; print(json.load(open('$work/shootout.out'))['measurement']['completed'])")
  read -r user sys rss <"$work/time"
  echo "$requests $(python3 -c "print($user+$sys)") $rss"
}

echo "nginx (1 worker) on CPU 1, generator on CPU 0, 1 thread, 50 connections, ${duration}s, $pairs pairs"
printf '%-5s %-9s %12s %12s %14s\n' pair tool requests req/s "CPU us/req"
ratios=()
for i in $(seq "$pairs"); do
  # Alternate who goes first, so a drift of the machine or the server favours neither.
  if [ $((i % 2)) -eq 1 ]; then
    read -r sr sc _ < <(run_shootout 50 "$duration"); read -r wr wc _ < <(run_wrk 50 "$duration")
  else
    read -r wr wc _ < <(run_wrk 50 "$duration"); read -r sr sc _ < <(run_shootout 50 "$duration")
  fi
  s_us=$(python3 -c "print(f'{$sc/$sr*1e6:.3f}')"); w_us=$(python3 -c "print(f'{$wc/$wr*1e6:.3f}')")
  printf '%-5s %-9s %12s %12s %14s\n' "$i" shootout "$sr" "$(python3 -c "print(round($sr/$duration))")" "$s_us"
  printf '%-5s %-9s %12s %12s %14s\n' "$i" wrk "$wr" "$(python3 -c "print(round($wr/$duration))")" "$w_us"
  ratios+=("$(python3 -c "print($s_us/$w_us)")")
done
python3 - "${ratios[@]}" <<'PY'
import statistics, sys
r = [float(x) for x in sys.argv[1:]]
print("CPU per request, shootout / wrk: " + ", ".join(f"{x:.3f}" for x in r) + f"; median {statistics.median(r):.3f}")
PY

echo
echo "10,000 connections, ${duration}s: peak RSS"
read -r sr _ srss < <(run_shootout 10000 "$duration")
read -r wr _ wrss < <(run_wrk 10000 "$duration")
printf 'shootout: %d KiB peak RSS (%s requests)\nwrk:      %d KiB peak RSS (%s requests)\n' "$srss" "$sr" "$wrss" "$wr"
grep -h '"established"' "$work/shootout.out" >/dev/null && python3 -c "
import json; d=json.load(open('$work/shootout.out')); m=d['measurement']; print('shootout connections:', m['connections'], 'errors:', m['errors'])"

echo
echo "server-bound: a Python server (one process, GIL-bound) on CPU 1, 50 connections, ${duration}s, both with no warm-up"
spy_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PORT=$spy_port taskset -c 1 /usr/bin/python3 "$root/tests/fixtures/servers/tiny_server.py" >/dev/null 2>&1 &
spy_pid=$!
trap 'kill $nginx_pid $spy_pid 2>/dev/null; wait $nginx_pid $spy_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$spy_port/ping" >/dev/null 2>&1 && break; sleep 0.1; done
url="http://127.0.0.1:$spy_port"
rates=()
for i in $(seq "$pairs"); do
  if [ $((i % 2)) -eq 1 ]; then
    read -r sr _ _ < <(run_shootout 50 "$duration"); read -r wr _ _ < <(run_wrk 50 "$duration")
  else
    read -r wr _ _ < <(run_wrk 50 "$duration"); read -r sr _ _ < <(run_shootout 50 "$duration")
  fi
  printf '%-5s shootout %8.0f req/s   wrk %8.0f req/s\n' "$i" "$(python3 -c "print($sr/$duration)")" "$(python3 -c "print($wr/$duration)")"
  rates+=("$(python3 -c "print($sr/max($wr,1))")")
done
python3 - "${rates[@]}" <<'PY'
import statistics, sys
r = [float(x) for x in sys.argv[1:]]
print("req/s, shootout / wrk: " + ", ".join(f"{x:.3f}" for x in r) + f"; median {statistics.median(r):.3f}")
PY
