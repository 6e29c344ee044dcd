#!/usr/bin/python3
"""The original suite's way of loading /ws-echo, for comparison with shootout's ws-echo.

asyncio and the `websockets` package (Debian's python3-websockets), N connections, each sending
"ping-<connection>-<n>" and awaiting its echo in a loop for S seconds, timing every round trip
and reporting p50/p95/p99 from the sorted list at the end, as the original suite's
bench/ws_bench.py does (shootout times every message too, into a histogram). Prints one JSON
object: messages (echoed correctly), errors, seconds, and the latency percentiles in ms.

With MESSAGE_BYTES, each message is padded with '.' to that size (never cut: "ping-12-3456" stays
whole), so that it can be compared with clients sending messages of a given size.

Usage: ws_echo_client.py URL CONNECTIONS SECONDS [MESSAGE_BYTES]  (URL like ws://127.0.0.1:8080/ws-echo)
"""
import asyncio
import json
import sys
import time

import websockets


async def connection(url, index, seconds, size, totals, latencies):
    messages = errors = 0
    try:
        async with websockets.connect(url) as ws:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                message = f"ping-{index}-{messages + errors}".ljust(size, ".")
                t0 = time.perf_counter_ns()
                await ws.send(message)
                reply = await asyncio.wait_for(ws.recv(), timeout=5.0)
                latencies.append((time.perf_counter_ns() - t0) / 1_000_000)
                if reply == message:
                    messages += 1
                else:
                    errors += 1
    except Exception as e:  # a broken connection ends that connection's loop, as in the original
        errors += 1
        print(f"connection {index}: {type(e).__name__}: {e}", file=sys.stderr)
    totals["messages"] += messages
    totals["errors"] += errors


async def main(url, connections, seconds, size):
    totals = {"messages": 0, "errors": 0}
    latencies = []
    started = time.monotonic()
    await asyncio.gather(*(connection(url, i, seconds, size, totals, latencies) for i in range(connections)))
    totals["seconds"] = time.monotonic() - started
    latencies.sort()
    if latencies:
        for name, q in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)):
            totals[name] = latencies[int(len(latencies) * q)]
    print(json.dumps(totals))


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__.strip().splitlines()[-1])
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) == 5 else 0))
