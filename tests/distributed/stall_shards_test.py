#!/usr/bin/env python3
"""The open model's self-test across four shards (docs/distributed.md, T5).

`shootout selftest` freezes a server for D in the middle of a constant-rate run of T seconds and
checks the model: the corrected p99 is D - 0.01*T, the corrected maximum D, and the uncorrected
p99 (timed from the actual send, as a closed-loop tool times it) stays far below D. Here the same
load comes from four `shootout run --shard i/4 --start-at T0` processes against one stall server
(the selftest's own, as a program), and `shootout merge` adds them up. The merged figures must
fall in the selftest's bounds, as one process's do, and agree with a single-process selftest run
just before: a merge that averaged percentiles, or shards that each sent a quarter of the rate in
bursts, would not.

Usage: stall_shards_test.py SHOOTOUT STALL_SERVER"""
import datetime
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, iso  # noqa: E402

SHARDS = 4
RATE = 2000        # requests per second, all shards together
DURATION = 10.0    # T, measured seconds
STALL = 0.5        # D, seconds
WARMUP = 1.0
CONNECTIONS = 32   # the pool's cap, all shards together

MODEL_P99 = STALL - 0.01 * DURATION


def within_model(name, corrected_p99, corrected_max, uncorrected_p99):
    """The selftest's bounds (core/selftest/selftest.cpp, judge)."""
    check(0.9 * MODEL_P99 <= corrected_p99 <= 1.5 * MODEL_P99,
          f"{name}: corrected p99 {corrected_p99:.3f} s is within 0.9 to 1.5 x the model's {MODEL_P99:.3f} s")
    check(0.95 * STALL <= corrected_max <= 1.1 * STALL,
          f"{name}: corrected max {corrected_max:.3f} s is within 0.95 to 1.1 x the stall, {STALL} s")
    check(uncorrected_p99 < 0.05 * STALL,
          f"{name}: uncorrected p99 {uncorrected_p99 * 1e3:.1f} ms stays below 5 % of the stall")


def single_process(shootout):
    """One process, the selftest itself: the figures the shards must give."""
    r = subprocess.run([shootout, "--log-level", "warn", "selftest", "--stall", f"{STALL}s", "--duration",
                        f"{DURATION:g}s", "--warmup", f"{WARMUP:g}s", "--rate", str(RATE), "--connections",
                        str(CONNECTIONS), "--json"], capture_output=True, text=True, timeout=120)
    print(r.stdout.strip())
    check(r.returncode == 0, f"shootout selftest passes in one process (exit {r.returncode}: {r.stderr.strip()})")
    checks = {c["name"]: c["measured_s"] for c in json.loads(r.stdout)["checks"]}
    return checks["corrected p99"], checks["corrected max"], checks["uncorrected p99"]


def shard_command(shootout, port, index, start_at, out_dir):
    return [shootout, "--log-level", "warn", "run", "--target", f"http://127.0.0.1:{port}", "--scenario", "ping",
            "--pattern", "constant-rate", "--rate", str(RATE), "--connections", str(CONNECTIONS),
            "--duration", f"{DURATION:g}s", "--warmup", f"{WARMUP:g}s", "--threads", "1",
            "--shard", f"{index}/{SHARDS}", "--start-at", start_at, "--shard-output", out_dir]


def sharded(shootout, stall_server, work):
    """Four shards against one stall server, merged: the merged raw result."""
    # Room for four processes to start and shard 0 to check correctness on a busy machine: a
    # shard ready after the start refuses to run (exit 3).
    start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=8)
    stall_at = start + datetime.timedelta(seconds=WARMUP + DURATION / 2 - STALL / 2)
    stall_at_ns = int(stall_at.timestamp()) * 1_000_000_000 + stall_at.microsecond * 1000
    server = subprocess.Popen([stall_server, str(stall_at_ns), str(int(STALL * 1000))], stdout=subprocess.PIPE,
                              text=True)
    shards_dir = os.path.join(work, "shards")
    try:
        port = int(server.stdout.readline())
        procs = [subprocess.Popen(shard_command(shootout, port, i, iso(start), shards_dir)) for i in range(SHARDS)]
        codes = [p.wait(timeout=120) for p in procs]
        check(codes == [0] * SHARDS, f"the four shards exit 0 (exit codes {codes})")
    finally:
        server.send_signal(signal.SIGTERM)
        answered = server.communicate(timeout=30)[0].strip()
    merged_dir = os.path.join(work, "merged")
    merge = subprocess.run([shootout, "merge", shards_dir, "--output", merged_dir], capture_output=True, text=True,
                           timeout=60)
    check(merge.returncode == 0, f"shootout merge exits 0 ({merge.returncode}: {merge.stderr.strip()})")
    with open(glob.glob(os.path.join(merged_dir, "raw", "*.json"))[0]) as f:
        merged = json.load(f)
    shards = []
    for path in sorted(glob.glob(os.path.join(shards_dir, "shard-*-of-4", "raw", "*.json"))):
        with open(path) as f:
            shards.append(json.load(f))
    return merged, shards, answered


def main():
    shootout, stall_server = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="shootout-stall-shards-")
    try:
        one = single_process(shootout)
        within_model("one process", *one)

        merged, shards, answered = sharded(shootout, stall_server, work)
        check(len(shards) == SHARDS, f"one raw result per shard ({len(shards)})")
        planned = RATE * DURATION
        completed = merged["completed"]
        errors = sum(merged["errors"].values())
        print(f"server: {answered}; merged: {completed} completed, {errors} errors, "
              f"shards {[s['completed'] for s in shards]}")
        check(errors == 0, "no errors in the merged result")
        # The server's own count: the measured requests, the warm-up's (planned at the same
        # rate) and shard 0's few correctness requests.
        served = int(answered.split()[-1])
        extra = served - completed - RATE * WARMUP
        check(-5 <= extra <= 10, f"the server answered what the shards counted, the warm-up's and a few "
              f"correctness requests ({served}: {extra:+.0f} beyond {completed} + {RATE * WARMUP:.0f})")
        check(abs(completed - planned) <= 0.02 * planned, f"the shards together completed the plan's {planned:.0f} "
              f"requests within 2 % ({completed})")
        corrected = merged["latency_us"]
        uncorrected = merged["latency_uncorrected_us"]
        four = (corrected["p99"] / 1e6, corrected["max"] / 1e6, uncorrected["p99"] / 1e6)
        within_model("four shards merged", *four)
        # Each shard alone saw the stall the same way: every shard's slice of the rate was
        # delayed by it (striped sends), so each shard's p99 is the model's too.
        for s in shards:
            i = s["placement"]["shard"]["index"]
            p99 = s["latency_us"]["p99"] / 1e6
            check(0.9 * MODEL_P99 <= p99 <= 1.5 * MODEL_P99, f"shard {i}: corrected p99 {p99:.3f} s is the model's too")
        ratio = four[0] / one[0]
        check(0.8 <= ratio <= 1.25, f"the merged corrected p99 is the single process's within 20 % "
              f"({four[0]:.3f} s against {one[0]:.3f} s, ratio {ratio:.3f})")
        print(f"figures: one process p99 {one[0]:.3f} s max {one[1]:.3f} s uncorrected p99 {one[2] * 1e3:.2f} ms; "
              f"four shards p99 {four[0]:.3f} s max {four[1]:.3f} s uncorrected p99 {four[2] * 1e3:.2f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()
