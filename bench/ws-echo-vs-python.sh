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
# A third client gives the floor: build/bin/shootout_ws_floor_client does one send and one recv
# per message and nothing else (bench/ws_floor_client.cpp). Its cost is the kernel's part of an
# echo round trip, which every client on this machine pays, so floor / Python is the highest
# ratio any client could reach here, and shootout / floor how close shootout comes to it.
# All three send text messages of MESSAGE_BYTES (8 to 125; default 12, about the size of the
# original's "ping-<connection>-<n>", which the Python client pads to it but never cuts).
#
# Usage: bench/ws-echo-vs-python.sh [ROUNDS=3] [DURATION=10] [CONNECTIONS=50] [MESSAGE_BYTES=12]
# Needs: python3-websockets, /usr/bin/time (scripts/setup.sh installs them), a build with tests
# (build/bin/shootout, build/bin/shootout_test_server, build/bin/shootout_ws_floor_client).
set -euo pipefail
pairs=${1:-3}  # rounds: each runs the three clients once
duration=${2:-10}
connections=${3:-50}
message_bytes=${4:-12}
root=$(cd "$(dirname "$0")/.." && pwd)
shootout=${SHOOTOUT:-$root/build/bin/shootout}
server=${ECHO_SERVER:-$root/build/bin/shootout_test_server}
floor_client=${FLOOR_CLIENT:-$root/build/bin/shootout_ws_floor_client}
python=/usr/bin/python3  # Debian's interpreter: the one that sees python3-websockets
case $message_bytes in
  ''|*[!0-9]*) echo "MESSAGE_BYTES must be a number from 8 to 125" >&2; exit 2 ;;
esac
if [ "$message_bytes" -lt 8 ] || [ "$message_bytes" -gt 125 ]; then
  echo "MESSAGE_BYTES must be 8 to 125 (ws-echo's smallest message holds its 8-byte number; 125 keeps one frame header size)" >&2
  exit 2
fi
# A machine without what the comparison needs skips it (77, as ctest's SKIP_RETURN_CODE expects).
for tool in "$python" /usr/bin/time taskset "$shootout" "$server" "$floor_client"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (run scripts/setup.sh)" >&2; exit 77; }
done
"$python" -c 'import websockets' 2>/dev/null || { echo "missing: python3-websockets (run scripts/setup.sh)" >&2; exit 77; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs: the server on one, the client on the other" >&2; exit 77; }

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
    "ws://127.0.0.1:$port/ws-echo" "$connections" "$duration" "$message_bytes" >"$work/python.out" 2>"$work/python.err" || true
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
    --target "http://127.0.0.1:$port" --scenario ws-echo --scenario-option "size=${message_bytes}B" --connections "$connections" --duration "${duration}s" \
    --warmup 0s --threads 1 --json >"$work/shootout.out" 2>"$work/shootout.err" || true
  "$python" - "$work/shootout.out" "$work/time" <<'PY'
import json, sys
try:
    result = json.load(open(sys.argv[1]))
except ValueError:
    print("- shootout printed no result"); sys.exit()
measurement = result["measurement"]
if measurement["outcome"] != "measured":
    print("-", measurement["reason"] or "not measured"); sys.exit()
user, system = map(float, open(sys.argv[2]).read().split()[-2:])
# completed: the messages echoed and not failed; generator.cpu_seconds (the worker threads while
# measuring) is in the JSON too, but the whole process is what the Python figure counts.
print(measurement["completed"], user + system)
PY
}

run_floor() {
  /usr/bin/time -f "%U %S" -o "$work/time" taskset -c 0 "$floor_client" "$port" "$connections" "$duration" "$message_bytes" \
    >"$work/floor.out" 2>"$work/floor.err" || true
  "$python" - "$work/floor.out" "$work/time" "$work/floor.err" <<'PY'
import json, sys
try:
    result = json.load(open(sys.argv[1]))
except ValueError:
    print("-", open(sys.argv[3]).read().strip() or "the floor client printed no result"); sys.exit()
user, system = map(float, open(sys.argv[2]).read().split()[-2:])
print(result["messages"], user + system)
PY
}

row() {  # pair tool messages cpu
  "$python" -c "
import sys
pair, tool, messages, cpu, seconds = sys.argv[1:]
m, c = int(messages), float(cpu)
print(f'{pair:<5} {tool:<9} {m:>10} {m/float(seconds):>10.0f} {c:>8.2f} {m/c if c else 0:>14.0f}')" "$@" "$duration"
}

echo "echo server (Beast, 1 thread) on CPU 1, client on CPU 0, $connections connections, ${duration}s, ${message_bytes}-byte messages, $pairs rounds"
printf '%-5s %-9s %10s %10s %8s %14s\n' round client messages msgs/s "CPU s" "msgs/CPU-s"
ratios=()
clients=(shootout python floor)
for i in $(seq "$pairs"); do
  # Rotate who goes first, so a drift of the machine or the server favours no client.
  declare -A measured=()
  for k in 0 1 2; do
    client=${clients[$(((i - 1 + k) % 3))]}
    measured[$client]=$("run_$client")
  done
  ok=1
  for client in python shootout floor; do
    read -r m c <<<"${measured[$client]}"
    if [ "$m" = "-" ]; then
      echo "$i     $client not measured: $c"; ok=0
      [ "$client" = python ] && cat "$work/python.err" >&2
    else
      row "$i" "$client" "$m" "$c"
    fi
  done
  [ $ok -eq 1 ] || continue
  read -r pm pc <<<"${measured[python]}"; read -r sm sc <<<"${measured[shootout]}"; read -r fm fc <<<"${measured[floor]}"
  ratios+=("$("$python" -c "print(($sm/$sc)/($pm/$pc), ($fm/$fc)/($pm/$pc), ($sm/$sc)/($fm/$fc))")")
done
if [ ${#ratios[@]} -eq 0 ]; then
  echo "no ratio: no round measured all three clients"
  exit 1
fi
"$python" - "${ratios[@]}" <<'PY'
import statistics, sys
rounds = [tuple(map(float, x.split())) for x in sys.argv[1:]]
def line(name, column, fmt):
    values = [r[column] for r in rounds]
    print(f"{name}: " + ", ".join(fmt.format(v) for v in values) + "; median " + fmt.format(statistics.median(values)))
line("messages per CPU-second, shootout / Python (goal: at least 10)", 0, "{:.1f}")
line("messages per CPU-second, floor / Python (the most any client reaches here)", 1, "{:.1f}")
line("shootout's share of the floor's messages per CPU-second", 2, "{:.0%}")
PY
