#!/usr/bin/env python3
"""Runtime benchmark: idle RSS, dispatch latency, log throughput (prints figures; asserts nothing).

Starts a release-built ecs-manager and ecs-delegate on loopback and measures
- the delegate's RSS after registration, idle, with PSS, private dirty and
  clean, shared clean (`/proc/PID/smaps_rollup`) and its thread count; the
  start-up time to registered; the binary's size;
- dispatch latency: from submitting a task to its first log line being
  readable at the manager, p50/p99 over N tasks (client-side wall clock,
  long-polling the manager's log endpoint);
- end-to-end log throughput: one task printing 100,000 lines, from submit to
  the manager holding every line and the result; then one printing 1,000,000
  (`--big-lines`) with both processes' RSS sampled every 0.1 s (flat memory);
- a floor measured in the same run, with the same client, so machines can be
  compared: a loopback HTTP round trip to the manager (`GET /v1/health`)
  p50/p99, and a bare submit (`POST /v1/tasks` for a selector no delegate
  has, so nothing runs; each is cancelled after) p50/p99.

Usage: python3 Benchmarks/runtime_bench.py [--bin DIR] [--tasks 500] [--lines 100000]
(`make bench` builds release first.)
"""
import argparse
import json
import os
import sys
import time

from fleet import Fleet


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def memory_kib(pid):
    """Rss, Pss, Private_Dirty, Private_Clean, Shared_Clean (KiB) from smaps_rollup, and the thread count."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].rstrip(":") in ("Rss", "Pss", "Private_Dirty", "Private_Clean", "Shared_Clean"):
                out[parts[0].rstrip(":")] = int(parts[1])
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                out["threads"] = int(line.split()[1])
    return out


def percentile(values, p):
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def timed_ms(fn, n):
    """Wall milliseconds of each of `n` calls of `fn`."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def summary(values):
    return {"n": len(values), "p50": round(percentile(values, 50), 3), "p99": round(percentile(values, 99), 3)}


def floor(f, n):
    """Loopback round trip and bare submit, p50/p99 (nothing is dispatched)."""
    f.call("GET", "/v1/health")
    health = timed_ms(lambda: f.call("GET", "/v1/health"), n)
    ids = []
    submit = timed_ms(lambda: ids.append(f.call("POST", "/v1/tasks", {"type": "delegate.echo", "selectors": ["floor-no-delegate"],
                                                                       "payload": {"count": 1}})["taskId"]), n)
    for task_id in ids:
        f.call("POST", f"/v1/tasks/{task_id}/cancel")
    return {"health_round_trip_ms": summary(health), "bare_submit_ms": summary(submit)}


def long_log_run(f, lines):
    """One task printing `lines` lines: seconds to the manager holding all of them, and both processes' RSS every 0.1 s."""
    procs = {"delegate": f.delegate.pid, "manager": f.procs[0].pid}
    samples = {k: [] for k in procs}
    t0 = time.perf_counter()
    t = f.call("POST", "/v1/tasks", {"type": "delegate.echo", "selectors": ["bench"], "payload": {"count": lines}})
    info = {"state": "queued", "logLines": 0}
    while True:
        for k, pid in procs.items():
            samples[k].append((round(time.perf_counter() - t0, 2), round(rss_kib(pid) / 1024.0, 1)))
        info = f.call("GET", f"/v1/tasks/{t['taskId']}")
        if info["state"] in ("failed", "cancelled", "rejected"):
            break
        if info["state"] == "succeeded" and info["logLines"] >= lines:
            break
        if time.perf_counter() - t0 > 300:
            break
        time.sleep(0.1)
    elapsed = time.perf_counter() - t0

    def shape(series):
        values = [v for _, v in series]
        # Flat memory: the second half of the run holds no more than the first half did.
        half = len(values) // 2
        return {"start": values[0], "max": max(values), "end": values[-1],
                "max_first_half": max(values[:half] or values), "max_second_half": max(values[half:] or values),
                "samples": len(values)}
    return {"lines": lines, "lines_at_manager": info["logLines"], "state": info["state"], "seconds": round(elapsed, 2),
            "lines_per_second": int(info["logLines"] / elapsed) if elapsed > 0 else None,
            "rss_mib": {k: shape(v) for k, v in samples.items()}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=None, help="directory with ecs-manager and ecs-delegate (default: release build)")
    ap.add_argument("--tasks", type=int, default=500)
    ap.add_argument("--lines", type=int, default=100000)
    ap.add_argument("--floor", type=int, default=500, help="round trips and bare submits for the floor")
    ap.add_argument("--big-lines", type=int, default=1000000, help="lines of the long log run, RSS sampled throughout (0: skip)")
    args = ap.parse_args()
    with Fleet(tags=["bench"], bindir=args.bin) as f:
        time.sleep(2.0)
        idle_rss = rss_kib(f.delegate.pid)
        idle = memory_kib(f.delegate.pid)
        floor_before = floor(f, args.floor)

        # Warm up one task.
        t = f.call("POST", "/v1/tasks", {"type": "delegate.echo", "selectors": ["bench"], "payload": {"count": 1}})
        f.call("GET", f"/v1/tasks/{t['taskId']}/logs?after=0&wait=10")

        lat = []
        for _ in range(args.tasks):
            t0 = time.perf_counter()
            t = f.call("POST", "/v1/tasks", {"type": "delegate.echo", "selectors": ["bench"], "payload": {"count": 1}})
            while True:
                page = f.call("GET", f"/v1/tasks/{t['taskId']}/logs?after=0&wait=10")
                if page["lines"]:
                    break
            lat.append((time.perf_counter() - t0) * 1000.0)

        t0 = time.perf_counter()
        t = f.call("POST", "/v1/tasks", {"type": "delegate.echo", "selectors": ["bench"], "payload": {"count": args.lines}})
        while True:
            info = f.call("GET", f"/v1/tasks/{t['taskId']}")
            if info["state"] in ("succeeded", "failed", "cancelled", "rejected") and info["logLines"] >= args.lines:
                break
            if info["state"] in ("failed", "cancelled", "rejected"):
                break
            time.sleep(0.01)
        elapsed = time.perf_counter() - t0
        peak_rss = rss_kib(f.delegate.pid)
        big = long_log_run(f, args.big_lines) if args.big_lines > 0 else None
        floor_after = floor(f, args.floor)

        print(json.dumps({
            "delegate_idle_rss_mib": round(idle_rss / 1024.0, 1),
            "delegate_idle_mib": {k: (round(v / 1024.0, 1) if k != "threads" else v) for k, v in idle.items()},
            "delegate_start_to_registered_s": round(f.delegate_start_seconds, 3),
            "delegate_binary_mib": round(os.path.getsize(os.path.join(f.bindir, "ecs-delegate")) / 1048576.0, 1),
            "dispatch_latency_ms": {"tasks": len(lat), "p50": round(percentile(lat, 50), 2), "p99": round(percentile(lat, 99), 2), "max": round(max(lat), 2)},
            "log_throughput": {"lines": args.lines, "lines_at_manager": info["logLines"], "state": info["state"], "seconds": round(elapsed, 3),
                               "lines_per_second": int(info["logLines"] / elapsed) if elapsed > 0 else None},
            "delegate_rss_after_throughput_mib": round(peak_rss / 1024.0, 1),
            "long_log_run": big,
            "floor_before": floor_before,
            "floor_after": floor_after,
            "load_average_1min": round(os.getloadavg()[0], 2),
            "aims": {"idle_rss_mib": 30, "dispatch_p99_ms": 5, "lines_100k_seconds": 3, "lines_1m_seconds": 10},
        }, indent=2))

if __name__ == "__main__":
    sys.exit(main())
