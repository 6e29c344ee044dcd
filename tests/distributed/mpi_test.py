#!/usr/bin/env python3
"""shootout-mpi with four real Open MPI ranks on loopback against a test server that records each
request's source address and arrival time (docs/distributed.md, T1, T3, T4):

  four      4 ranks: 4 processes under mpirun; the server's per-source counts equal each shard's;
            merged buckets = the sum of the per-rank buckets; percentiles recomputed
            independently; one even stream; start skew small, as the server saw it.
  faketime  rank 3's wall clock 0.5 s ahead (libfaketime, monotonic clock untouched): its offset
            is estimated at 0.5 s, and the server still sees the four start together.
  kill      kill -9 of rank 2 in the measured window: mpirun fails within seconds, names rank 2,
            and no process of the run is left.
  manifest  a manifest run under mpirun (shootout-mpi --config), rank 3's wall clock 0.5 s ahead
            when libfaketime is installed: every measurement merged from the four ranks into one
            run directory with the reports, started together, rank 3's offset recorded; the
            server's per-source counts match each shard's over the whole run.

Usage: mpi_test.py SHOOTOUT_MPI TEST_SERVER {four|faketime|kill|manifest}; exit 77 (skipped) without mpirun."""
import glob
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hdr_percentile import percentile  # noqa: E402
from checks import check, fail  # noqa: E402

RANKS = 4
RATE = 800
DURATION = 3
WARMUP = 1
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
           "OMPI_MCA_btl": "self,vader,tcp"}


def run_args(port, out_dir, duration=DURATION):
    return ["--log-level", "warn", "run", "--target", f"http://127.0.0.1:{port}", "--pattern", "constant-rate", "--rate", str(RATE),
            "--connections", "16", "--duration", f"{duration}s", "--warmup", f"{WARMUP}s", "--threads", "1",
            "--shard-output", out_dir, "--json"]


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


def rank_processes(binary):
    """pid -> rank of the live processes running `binary` under MPI."""
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.path.realpath(f"/proc/{pid}/exe") != os.path.realpath(binary):
                continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = dict(v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v)
            found[int(pid)] = int(env.get(b"OMPI_COMM_WORLD_RANK", b"-1"))
        except OSError:
            continue
    return found


def parent_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


class server:
    def __init__(self, binary, work):
        self.file = os.path.join(work, "arrivals.txt")
        self.proc = subprocess.Popen([binary, "2", "--arrivals", self.file], stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        arrivals = []
        with open(self.file) as f:
            for line in f:
                source, ns = line.split()
                arrivals.append((source, int(ns)))
        return arrivals


def mpirun(mpi_binary, args, faked_rank=None):
    command = ["mpirun", "--oversubscribe", "--allow-run-as-root", "-np", str(RANKS), mpi_binary] + args
    if faked_rank is not None:
        # MPMD: three ranks as they are, the last under libfaketime, its wall clock 0.5 s ahead.
        command = ["mpirun", "--oversubscribe", "--allow-run-as-root", "-np", str(RANKS - 1), mpi_binary] + args + \
                  [":", "-np", "1", "-x", "FAKETIME_DONT_FAKE_MONOTONIC=1", "faketime", "-f", "+0.5s", mpi_binary] + args
    return command


def check_merge(doc, shards_dir, arrivals, max_server_spread_ms=50):
    merged = doc["measurement"]
    files = sorted(glob.glob(os.path.join(shards_dir, "shard-*-of-4", "raw", "*.json")))
    check(len(files) == RANKS, f"each rank wrote its raw result before the gather ({len(files)})")
    shards = sorted((json.load(open(f)) for f in files), key=lambda d: d["placement"]["shard"]["index"])
    per_source = {}
    for source, _ in arrivals:
        per_source[source] = per_source.get(source, 0) + 1
    print("server-side requests per source:", dict(sorted(per_source.items())))
    for i, s in enumerate(shards):
        source = f"127.0.0.{10 + i}"
        answered = s["answered_2xx_all_phases"]
        unanswered = s["in_flight_at_end"] + sum(s["errors"].values())
        seen = per_source.get(source, 0)
        check(answered <= seen <= answered + unanswered,
              f"the server saw {seen} requests from {source}; rank {i} counted {answered} answered + {unanswered} not")
    check(set(per_source) == {f"127.0.0.{10 + i}" for i in range(RANKS)}, "every request came from a rank's address")
    check(merged["latency_us"]["buckets"] == buckets_sum([s["latency_us"]["buckets"] for s in shards]),
          "merged latency buckets = the sum of the ranks' buckets")
    check(merged["completed"] == sum(s["completed"] for s in shards), "merged completed = the sum of the ranks'")
    for name, p in (("p50", 50), ("p99", 99), ("p999", 99.9)):
        recomputed = percentile(merged["latency_us"], p)
        check(recomputed == merged["latency_us"][name], f"{name} recomputed from the buckets: {recomputed} µs = shootout's")
    for k, point in enumerate(merged["timeline"]):
        parts = [s["timeline"][k] for s in shards if k < len(s["timeline"])]
        if point["completed"] != sum(p["completed"] for p in parts):
            fail(f"merged second {k} is not the sum of the ranks' seconds {k}")
    check(True, "every merged second is the sum of the ranks' seconds")
    window = sorted(ns for _, ns in arrivals)
    start, firsts = load_start(arrivals)
    measured = [ns for ns in window if start + (WARMUP + 0.2) * 1e9 <= ns <= start + (WARMUP + DURATION - 0.2) * 1e9]
    gaps = [b - a for a, b in zip(measured, measured[1:])]
    bunched = sum(1 for g in gaps if g < 0.2e9 / RATE) / len(gaps)
    check(bunched < 0.35, f"one even stream: {bunched:.1%} of gaps under a fifth of 1/R (bursts of four: 75 %), "
                          f"median gap {statistics.median(gaps) / 1e3:.0f} µs")
    spread_ms = (max(firsts.values()) - start) / 1e6
    skew_ms = doc["mpi"]["start_skew_us"] / 1e3
    check(skew_ms <= 20, f"start skew measured by shootout-mpi: {skew_ms:.3f} ms")
    check(spread_ms <= max_server_spread_ms, f"spread of the first arrivals per source at the server: {spread_ms:.3f} ms")
    for s in doc["shards"]:
        print(f"  shard {s['index']} {s['source_address']}: {s['requests']} requests, {s['req_s']:.1f} req/s, "
              f"p99 {s['p99_us']} µs, {s['errors']} errors, start +{s['start_offset_us'] / 1e3:.3f} ms, "
              f"clock offset {s['clock_offset_us'] / 1e3:.3f} ms")
    print(f"  merged: {merged['completed']} requests over {merged['seconds']:.4f} s = {merged['rate']:.1f} req/s, "
          f"sent {merged['rate_plan']['sent']} (planned {RATE * DURATION})")
    return merged


def four(mpi_binary, test_server, work, faked=False):
    srv = server(test_server, work)
    shards_dir = os.path.join(work, "shards")
    seen_ranks = {}
    try:
        proc = subprocess.Popen(mpirun(mpi_binary, run_args(srv.port, shards_dir), 3 if faked else None),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **MPI_ENV})
        deadline = time.time() + 6
        while time.time() < deadline and len(seen_ranks) < RANKS:
            for pid, rank in rank_processes(mpi_binary).items():
                seen_ranks[pid] = (rank, parent_of(pid))
            time.sleep(0.2)
        out, err = proc.communicate(timeout=180)
    finally:
        arrivals = srv.stop()
    check(proc.returncode == 0, f"mpirun exits 0 ({proc.returncode}: {err.strip()[-500:]})")
    ranks = sorted(r for r, _ in seen_ranks.values())
    check(ranks == list(range(RANKS)), f"four processes ran as ranks 0-3 (pids {sorted(seen_ranks)})")
    parents = {p for _, p in seen_ranks.values()}
    print(f"  their parents: {sorted(parents)} (mpirun is {proc.pid})")
    doc = json.loads(out.strip().splitlines()[-1])
    check(doc["schema"] == "shootout.run" and len(doc["shards"]) == RANKS, "rank 0 printed run --json plus four shards")
    merged = check_merge(doc, shards_dir, arrivals)
    if faked:
        offset_ms = doc["mpi"]["clock_offset_us"][3] / 1e3
        check(450 <= offset_ms <= 550, f"rank 3's clock offset is estimated at {offset_ms:.3f} ms (faked: +500 ms)")
        others = [abs(o) / 1e3 for o in doc["mpi"]["clock_offset_us"][:3]]
        check(max(others) < 20, f"the other ranks' offsets are small ({others} ms)")
    return merged


def kill(mpi_binary, test_server, work):
    srv = server(test_server, work)
    try:
        proc = subprocess.Popen(mpirun(mpi_binary, run_args(srv.port, os.path.join(work, "shards"), duration=8)),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **MPI_ENV})
        victim = None
        deadline = time.time() + 20
        while victim is None and time.time() < deadline:
            victim = next((pid for pid, rank in rank_processes(mpi_binary).items() if rank == 2), None)
            time.sleep(0.1)
        check(victim is not None, f"rank 2 is running (pid {victim})")
        time.sleep(WARMUP + 3)  # into the measured window
        os.kill(victim, signal.SIGKILL)
        killed = time.time()
        out, err = proc.communicate(timeout=60)
        took = time.time() - killed
    finally:
        srv.stop()
    print(err.strip()[-800:])
    check(proc.returncode != 0, f"mpirun fails (exit {proc.returncode})")
    check(took < 5, f"within {took:.2f} s of the kill")
    check("rank 2" in err, "and names rank 2, the shard that died")
    time.sleep(0.5)
    left = rank_processes(mpi_binary)
    check(not left, f"no process of the run is left ({left})")
    check("shootout.run" not in out, "and no merged result is printed")


def manifest(mpi_binary, test_server, work):
    """A manifest run under mpirun: every measurement in its slot on all four ranks, merged per
    measurement on rank 0 into a run directory with the manifest's reports."""
    srv = server(test_server, work)
    out = os.path.join(work, "out")
    config = os.path.join(work, "m.toml")
    with open(config, "w") as f:
        f.write(f'output_dir = "{out}"\nscenarios = ["ping", "mixed"]\npatterns = ["steady"]\nreporters = ["md", "json"]\n'
                '[pattern.steady]\nconnections = 8\nwarmup = "0s"\nduration = "1s"\n[engine]\nthreads = 1\n'
                f'[[framework]]\nname = "a"\nurl = "http://127.0.0.1:{srv.port}"\n'
                f'[[framework]]\nname = "b"\nurl = "http://127.0.0.1:{srv.port}"\n'
                '[scenario.mixed]\nplugin = "http"\n'
                '[[scenario.mixed.request]]\nname = "ping"\npath = "/ping"\nexpect.body = "pong"\n'
                '[[scenario.mixed.request]]\nname = "user"\npath = "/user/{seq:6}/info"\nexpect.json = { id = "{seq}" }\n')
    try:
        # Rank 3's wall clock 0.5 s ahead, when libfaketime is here: its slots must still start
        # with the others', and its offset be recorded on every merged result.
        faked = 3 if shutil.which("faketime") else None
        proc = subprocess.run(mpirun(mpi_binary, ["--log-level", "warn", "--config", config, "--shard-gap", "2s"], faked),
                              capture_output=True, text=True, timeout=240, env={**os.environ, **MPI_ENV})
    finally:
        arrivals = srv.stop()
    print(proc.stdout[-3000:])
    check(proc.returncode == 0, f"mpirun exits 0 ({proc.returncode}: {proc.stderr.strip()[-800:]})")
    run_dirs = glob.glob(os.path.join(out, f"*-mpi-{RANKS}"))
    check(len(run_dirs) == 1, f"one merged run directory ({run_dirs})")
    run_dir = run_dirs[0]
    check(os.path.realpath(os.path.join(out, "latest")) == os.path.realpath(run_dir), "output_dir/latest points at it")
    check(os.path.exists(os.path.join(run_dir, "REPORT.md")) and os.path.exists(os.path.join(run_dir, "summary.json")),
          "the manifest's reports are written on the merged results")
    docs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(run_dir, "raw", "*.json")))]
    check(sorted((d["framework"], d["scenario"]) for d in docs) == [("a", "mixed"), ("a", "ping"), ("b", "mixed"), ("b", "ping")],
          "one merged result per measurement of the manifest")
    per_shard = {}  # source address: what that shard counted, over every measurement
    for d in docs:
        shards = d["placement"]["shards"]
        check(d["placement"]["merge"]["count"] == RANKS and [s["index"] for s in shards] == list(range(RANKS)),
              f"{d['framework']}/{d['scenario']}: merged from the {RANKS} ranks")
        check(d["completed"] == sum(s["completed"] for s in shards), f"{d['framework']}/{d['scenario']}: "
              f"{d['completed']} requests, the sum of the shards'")
        check(d["placement"]["merge"]["start_skew_us"] < 50_000,
              f"{d['framework']}/{d['scenario']}: the ranks started its slot together "
              f"({d['placement']['merge']['start_skew_us']} µs)")
        if faked is not None:
            offset_ms = shards[3]["clock_offset_us"] / 1e3
            check(450 <= offset_ms <= 550, f"{d['framework']}/{d['scenario']}: shard 3's clock offset is recorded as "
                  f"{offset_ms:.3f} ms (faked: +500 ms)")
        if d["scenario"] == "mixed":
            check([r["label"] for r in d["requests"]] == ["ping", "user"] and
                  sum(r["completed"] for r in d["requests"]) == d["completed"],
                  f"{d['framework']}/mixed: each kind of request merged, adding up to the total")
        for s in shards:
            per_shard[s["source_address"]] = per_shard.get(s["source_address"], 0) + s["completed"] + s["errors"]
    seen = {}
    for source, _ in arrivals:
        seen[source] = seen.get(source, 0) + 1
    for i in range(RANKS):
        source = f"127.0.0.{10 + i}"
        # Beyond what the shard counted: at most one request per connection (2) per measurement
        # (4) on the wire when its measured time ended, and on shard 0 the correctness checks' 3
        # per measurement.
        slack = 2 * 4 + (3 * 4 if i == 0 else 0)
        check(per_shard[source] <= seen.get(source, 0) <= per_shard[source] + slack,
              f"the server saw {seen.get(source, 0)} requests from shard {i} ({source}), which counted "
              f"{per_shard[source]}")


def main():
    mpi_binary, test_server, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    if not shutil.which("mpirun") or not os.path.exists(mpi_binary):
        print("skipped: no mpirun or no shootout-mpi (install openmpi-bin libopenmpi-dev)")
        sys.exit(77)
    if mode == "faketime" and not shutil.which("faketime"):
        print("skipped: no faketime (apt-get install faketime)")
        sys.exit(77)
    work = tempfile.mkdtemp(prefix="shootout-mpi-")
    {"four": lambda: four(mpi_binary, test_server, work),
     "faketime": lambda: four(mpi_binary, test_server, work, faked=True),
     "kill": lambda: kill(mpi_binary, test_server, work),
     "manifest": lambda: manifest(mpi_binary, test_server, work)}[mode]()
    shutil.rmtree(work)
    print("PASS")


if __name__ == "__main__":
    main()
