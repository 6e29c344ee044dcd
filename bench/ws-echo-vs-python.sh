#!/usr/bin/env bash
# Compares shootout's ws-echo with the original suite's WebSocket client on the same echo server.
#
# The goal (the issue): at least 10 times more echoed messages per CPU-second of the generator
# than an asyncio client with the `websockets` package (bench/ws_echo_client.py, written the way
# the original suite's bench/ws_bench.py is). The echo server is the test server (Beast's
# websocket::stream, one thread) on CPU 1; the client runs on CPU 0 with CONNECTIONS connections
# for DURATION seconds, shootout and Python alternately (who goes first alternates), PAIRS times.
# Each client's CPU is the user + system time of its whole process, from /usr/bin/time, so both
# are measured with the same stick. For each run it prints messages, messages/s, CPU seconds
# and messages per CPU-second, then the median ratio shootout / Python.
#
# Usage: bench/ws-echo-vs-python.sh [PAIRS=3] [DURATION=10] [CONNECTIONS=50]
# Needs: python3-websockets, /usr/bin/time (scripts/setup.sh installs them), a build with tests
# (build/bin/shootout and build/bin/shootout_test_server).
set -euo pipefail
pairs=${1:-3}
duration=${2:-10}
connections=${3:-50}
root=$(cd "$(dirname "$0")/.." && pwd)
shootout=${SHOOTOUT:-$root/build/bin/shootout}
server=${ECHO_SERVER:-$root/build/bin/shootout_test_server}
python=/usr/bin/python3  # Debian's interpreter: the one that sees python3-websockets
for tool in "$python" /usr/bin/time taskset "$shootout" "$server"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (run scripts/setup.sh)" >&2; exit 2; }
done
"$python" -c 'import websockets' 2>/dev/null || { echo "missing: python3-websockets (run scripts/setup.sh)" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs: the server on one, the client on the other" >&2; exit 2; }

work=$(mktemp -d)
taskset -c 1 "$server" 1 >"$work/port" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(head -1 "$work/port")
[ -n "$port" ] || { echo "the echo server did not start" >&2; exit 1; }

# Each prints "messages cpu_seconds", or "- reason" when the client could not measure.
run_python() {
  /usr/bin/time -f "%U %S" -o "$work/time" taskset -c 0 "$python" "$root/bench/ws_echo_client.py" \
    "ws://127.0.0.1:$port/ws-echo" "$connections" "$duration" >"$work/python.out" 2>"$work/python.err" || true
  "$python" - "$work/python.out" "$work/time" <<'PY'
import json, sys
try:
    result = json.load(open(sys.argv[1]))
except ValueError:
    print("- the Python client printed no result"); sys.exit()
user, system = map(float, open(sys.argv[2]).read().split()[-2:])
print(result["messages"], user + system)
PY
}
run_shootout() {
  /usr/bin/time -f "%U %S" -o "$work/time" taskset -c 0 "$shootout" --log-level warn run \
    --target "http://127.0.0.1:$port" --scenario ws-echo --connections "$connections" --duration "${duration}s" \
    --warmup 0s --threads 1 --json >"$work/shootout.out" 2>"$work/shootout.err" || true
  "$python" - "$work/shootout.out" "$work/time" <<'PY'
import json, sys
try:
    result = json.load(open(sys.argv[1]))
except ValueError:
    print("- shootout printed no result"); sys.exit()
if result.get("outcome") != "measured":
    print("-", result.get("reason", "not measured")); sys.exit()
user, system = map(float, open(sys.argv[2]).read().split()[-2:])
# requests: the messages echoed and not failed; generator.cpu_seconds (the worker threads while
# measuring) is in the JSON too, but the whole process is what the Python figure counts.
print(result["requests"], user + system)
PY
}

row() {  # pair tool messages cpu
  "$python" -c "
import sys
pair, tool, messages, cpu, seconds = sys.argv[1:]
m, c = int(messages), float(cpu)
print(f'{pair:<5} {tool:<9} {m:>10} {m/float(seconds):>10.0f} {c:>8.2f} {m/c if c else 0:>14.0f}')" "$@" "$duration"
}

echo "echo server (Beast, 1 thread) on CPU 1, client on CPU 0, $connections connections, ${duration}s, $pairs pairs"
printf '%-5s %-9s %10s %10s %8s %14s\n' pair client messages msgs/s "CPU s" "msgs/CPU-s"
ratios=()
for i in $(seq "$pairs"); do
  # Alternate who goes first, so a drift of the machine or the server favours neither.
  if [ $((i % 2)) -eq 1 ]; then
    s=$(run_shootout); p=$(run_python)
  else
    p=$(run_python); s=$(run_shootout)
  fi
  read -r pm pc <<<"$p"
  if [ "$pm" = "-" ]; then echo "$i     python    not measured: $pc"; cat "$work/python.err" >&2; continue; fi
  row "$i" python "$pm" "$pc"
  read -r sm sc <<<"$s"
  if [ "$sm" = "-" ]; then echo "$i     shootout  not measured: $sc"; continue; fi
  row "$i" shootout "$sm" "$sc"
  ratios+=("$("$python" -c "print(($sm/$sc)/($pm/$pc))")")
done
if [ ${#ratios[@]} -eq 0 ]; then
  echo "no ratio: shootout measured no pair"
  exit 1
fi
"$python" - "${ratios[@]}" <<'PY'
import statistics, sys
r = [float(x) for x in sys.argv[1:]]
print("messages per CPU-second, shootout / Python: " + ", ".join(f"{x:.1f}" for x in r) +
      f"; median {statistics.median(r):.1f} (goal: at least 10)")
PY
