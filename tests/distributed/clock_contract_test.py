#!/usr/bin/env python3
"""The clock contract for real: four `shootout run --shard i/4 --start-at T` processes in the
background against a test server that records each request's source address and arrival time,
then `shootout merge`. What the server saw is the ground truth (docs/distributed.md, T2):

- each shard's requests arrive from its own address, as many as that shard counted;
- the merged histogram is the bucket-wise sum of the shards', and its percentiles, recomputed
  from the buckets by hdr_percentile.py, are the ones shootout wrote;
- second k of the merged timeline is the sum of the shards' seconds k;
- the open model's arrivals form one even stream (not bursts of four);
- the start skew shootout recorded is small, and so is the spread of first arrivals;
- a shard started after T refuses to run (exit 3, nothing written); a missing shard file is
  refused, or merged as failed with --allow-partial; the reports run on the merged result.

Usage: clock_contract_test.py SHOOTOUT TEST_SERVER"""
import datetime
import glob
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hdr_percentile import percentile  # noqa: E402
from checks import check, fail, iso  # noqa: E402

SHARDS = 4
RATE = 800          # requests per second, all shards together
DURATION = 3        # measured seconds
WARMUP = 1


def shard_command(shootout, port, index, start_at, out_dir):
    return [shootout, "--log-level", "warn", "run", "--target", f"http://127.0.0.1:{port}", "--pattern", "constant-rate",
            "--rate", str(RATE), "--connections", "16", "--duration", f"{DURATION}s", "--warmup", f"{WARMUP}s",
            "--threads", "1", "--shard", f"{index}/{SHARDS}", "--start-at", start_at, "--shard-output", out_dir]


def load(path):
    with open(path) as f:
        return json.load(f)


def load_start(arrivals, shard0="127.0.0.10"):
    """When the load began at the server: the first arrival from a shard other than shard 0 (whose
    correctness check comes earlier, from the same address), and each source's first arrival from
    half a second before it on."""
    begin = min(ns for source, ns in arrivals if source != shard0)
    firsts = {}
    for source, ns in arrivals:
        if ns >= begin - 500_000_000:
            firsts.setdefault(source, ns)
    return min(firsts.values()), firsts


def buckets_sum(histograms):
    total = {}
    for h in histograms:
        for index, count in h:
            total[index] = total.get(index, 0) + count
    return sorted([i, c] for i, c in total.items())


def main():
    shootout, test_server = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="shootout-shards-")
    arrivals_file = os.path.join(work, "arrivals.txt")
    server = subprocess.Popen([test_server, "2", "--arrivals", arrivals_file], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        shards_dir = os.path.join(work, "shards")
        start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=4)
        start_at = iso(start)
        procs = [subprocess.Popen(shard_command(shootout, port, i, start_at, shards_dir)) for i in range(SHARDS)]
        codes = [p.wait(timeout=120) for p in procs]
        check(codes == [0] * SHARDS, f"the four shards exit 0 (exit codes {codes})")

        late_dir = os.path.join(work, "late")
        late = subprocess.run(shard_command(shootout, port, 1, start_at, late_dir), capture_output=True, text=True,
                              timeout=60)
        check(late.returncode == 3, f"a shard started after --start-at exits 3 (got {late.returncode})")
        check("refusing to start late" in late.stderr, "and says why: " + late.stderr.strip().splitlines()[-1])
        check(not os.path.exists(late_dir), "and writes nothing")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    files = sorted(glob.glob(os.path.join(shards_dir, "shard-*-of-4", "raw", "*.json")))
    check(len(files) == SHARDS, f"one raw result per shard ({len(files)})")
    shards = [load(f) for f in files]
    shards.sort(key=lambda d: d["placement"]["shard"]["index"])
    for i, s in enumerate(shards):
        check(s["placement"]["shard"]["index"] == i and s["placement"]["shard"]["count"] == SHARDS,
              f"shard {i} says it is shard {i} of {SHARDS}")
    check(len({s["placement"]["shard"]["plan_sha256"] for s in shards}) == 1, "every shard ran the same plan (one hash)")

    merged_dir = os.path.join(work, "merged")
    merge = subprocess.run([shootout, "merge", shards_dir, "--output", merged_dir], capture_output=True, text=True,
                           timeout=60)
    print(merge.stdout)
    check(merge.returncode == 0, f"shootout merge exits 0 ({merge.returncode}: {merge.stderr.strip()})")
    merged = load(glob.glob(os.path.join(merged_dir, "raw", "*.json"))[0])

    # The server's ground truth: one address per shard, as many requests as each shard counted.
    arrivals = []
    with open(arrivals_file) as f:
        for line in f:
            source, ns = line.split()
            arrivals.append((source, int(ns)))
    per_source = {}
    for source, _ in arrivals:
        per_source[source] = per_source.get(source, 0) + 1
    print("server-side requests per source:", dict(sorted(per_source.items())))
    late_source = "127.0.0.11"  # the late shard never sent anything, so shard 1's address is its own
    for i, s in enumerate(shards):
        source = f"127.0.0.{10 + i}"
        check(s["placement"]["shard"]["source_address"] == source, f"shard {i} bound its connections to {source}")
        answered = s["answered_2xx_all_phases"]
        unanswered = s["in_flight_at_end"] + sum(s["errors"].values())
        seen = per_source.get(source, 0)
        check(answered <= seen <= answered + unanswered,
              f"the server saw {seen} requests from {source}; shard {i} counted {answered} answered + {unanswered} not")
    check(set(per_source) == {f"127.0.0.{10 + i}" for i in range(SHARDS)},
          f"no request came from any other address ({sorted(per_source)}; {late_source} is shard 1's alone)")

    # Exact merge: bucket by bucket, then the percentiles recomputed independently.
    expected = buckets_sum([s["latency_us"]["buckets"] for s in shards])
    check(merged["latency_us"]["buckets"] == expected, "merged latency buckets = the sum of the shards' buckets")
    check(merged["latency_us"]["count"] == sum(s["latency_us"]["count"] for s in shards), "merged count = sum of counts")
    check(merged["completed"] == sum(s["completed"] for s in shards), "merged completed = sum of the shards'")
    for name, p in (("p50", 50), ("p99", 99), ("p999", 99.9)):
        recomputed = percentile(merged["latency_us"], p)
        check(recomputed == merged["latency_us"][name], f"{name} recomputed from the buckets: {recomputed} µs = shootout's")
    for k, point in enumerate(merged["timeline"]):
        parts = [s["timeline"][k] for s in shards if k < len(s["timeline"])]
        if point["completed"] != sum(p["completed"] for p in parts) or \
                point["latency_buckets"] != buckets_sum([p["latency_buckets"] for p in parts]):
            fail(f"merged second {k} is not the sum of the shards' seconds {k}")
    check(len(merged["timeline"]) >= DURATION, f"every merged second ({len(merged['timeline'])}) is the shards' sum")

    # The plan: R·D requests in all, sent as one even stream.
    sent = merged["rate_plan"]["sent"]
    check(abs(sent - RATE * DURATION) <= SHARDS + 2, f"{sent} requests sent in the measured time, planned {RATE * DURATION}")
    window = sorted(ns for _, ns in arrivals)
    first, firsts = load_start(arrivals)
    measured = [ns for ns in window if first + WARMUP * 1e9 + 0.2e9 <= ns <= first + (WARMUP + DURATION) * 1e9 - 0.2e9]
    gaps = [b - a for a, b in zip(measured, measured[1:])]
    interval = 1e9 / RATE
    bunched = sum(1 for g in gaps if g < 0.2 * interval) / len(gaps)
    print(f"arrival gaps: median {statistics.median(gaps) / 1e3:.0f} µs (plan {interval / 1e3:.0f} µs), "
          f"{bunched:.1%} under a fifth of the interval (bursts of four would put 75 % there)")
    check(bunched < 0.35, "the open model's arrivals interleave (no bursts of four)")
    bins = {}
    for ns in measured:
        bins[(ns - measured[0]) // 100_000_000] = bins.get((ns - measured[0]) // 100_000_000, 0) + 1
    counts = [bins[b] for b in sorted(bins)][:-1]
    cv = statistics.pstdev(counts) / statistics.mean(counts)
    check(cv < 0.15, f"arrivals per 100 ms: mean {statistics.mean(counts):.1f}, CV {cv:.3f}")

    # Start skew: what shootout recorded, and what the server saw.
    skew_ms = merged["placement"]["merge"]["start_skew_us"] / 1e3
    spread_ms = (max(firsts.values()) - min(firsts.values())) / 1e6
    check(skew_ms <= 50, f"start skew recorded by shootout: {skew_ms:.3f} ms")
    check(spread_ms <= 50, f"spread of the first arrivals per source at the server: {spread_ms:.3f} ms")
    for s in merged["placement"]["shards"]:
        print(f"  shard {s['index']} {s['source_address']}: {s['completed']} requests, {s['rate']:.1f} req/s, "
              f"p99 {s['p99_us']} µs, start +{s['start_offset_us'] / 1e3:.3f} ms")
    print(f"  merged: {merged['completed']} requests over {merged['seconds']:.4f} s, {merged['rate']:.1f} req/s")

    # The reports run unchanged on the merged result.
    report = subprocess.run([shootout, "report", "--results", merged_dir], capture_output=True, text=True, timeout=120)
    check(report.returncode == 0 and os.path.exists(os.path.join(merged_dir, "REPORT.md")),
          f"shootout report makes the reports from the merge ({report.returncode}: {report.stderr.strip()[-300:]})")

    # A missing shard file is refused, or merged as failed.
    missing_dir = os.path.join(work, "missing")
    shutil.copytree(shards_dir, missing_dir)
    shutil.rmtree(os.path.join(missing_dir, "shard-3-of-4"))
    refused = subprocess.run([shootout, "merge", missing_dir, "--output", os.path.join(work, "m2")], capture_output=True,
                             text=True, timeout=60)
    check(refused.returncode == 2 and "shard 3 of 4 missing" in refused.stderr,
          f"a missing shard is refused: {refused.stderr.strip()}")
    partial = subprocess.run([shootout, "merge", missing_dir, "--output", os.path.join(work, "m3"), "--allow-partial"],
                             capture_output=True, text=True, timeout=60)
    doc = load(glob.glob(os.path.join(work, "m3", "raw", "*.json"))[0])
    check(partial.returncode == 1 and doc["outcome"] == "failed" and doc["reason"] == "partial merge: shard 3 of 4 missing",
          "--allow-partial merges the rest as failed, never ranked")
    manifest_shards(shootout, test_server, work)
    shutil.rmtree(work)
    print("PASS")


def manifest_shards(shootout, test_server, work):
    """A manifest run cut into two shards: every measurement in its slot on both, merged per measurement."""
    server = subprocess.Popen([test_server, "1"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        start_at = iso(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3))
        procs = []
        for i in range(2):
            manifest = os.path.join(work, f"m{i}.toml")
            with open(manifest, "w") as f:
                f.write(f'output_dir = "{work}/manifest{i}"\nscenarios = ["ping"]\npatterns = ["steady"]\nreporters = []\n'
                        '[pattern.steady]\nconnections = 4\nwarmup = "500ms"\nduration = "1s"\n[engine]\nthreads = 1\n'
                        f'[[framework]]\nname = "a"\nurl = "http://127.0.0.1:{port}"\n'
                        f'[[framework]]\nname = "b"\nurl = "http://127.0.0.1:{port}"\n')
            procs.append(subprocess.Popen([shootout, "--log-level", "warn", "--config", manifest, "--shard", f"{i}/2",
                                           "--start-at", start_at, "--shard-gap", "2s"], stdout=subprocess.DEVNULL))
        codes = [p.wait(timeout=120) for p in procs]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    check(codes == [0, 0], f"a manifest run in two shards exits 0 on both ({codes})")
    out = os.path.join(work, "manifest-merged")
    merge = subprocess.run([shootout, "merge", os.path.join(work, "manifest0"), os.path.join(work, "manifest1"),
                            "--output", out], capture_output=True, text=True, timeout=60)
    check(merge.returncode == 0, f"its shards merge ({merge.stderr.strip()})")
    docs = [load(f) for f in sorted(glob.glob(os.path.join(out, "raw", "*.json")))]
    check([d["framework"] for d in docs] == ["a", "b"], "one merged result per measurement of the manifest")
    for d in docs:
        shards = d["placement"]["shards"]
        check(len(shards) == 2 and d["completed"] == sum(s["completed"] for s in shards),
              f"{d['framework']}: two shards, their requests summed ({d['completed']})")
        check(d["placement"]["merge"]["start_skew_us"] < 50_000,
              f"{d['framework']}: both shards started its slot together ({d['placement']['merge']['start_skew_us']} µs)")


if __name__ == "__main__":
    main()
