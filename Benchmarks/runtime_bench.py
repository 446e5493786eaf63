#!/usr/bin/env python3
"""Runtime benchmark: idle RSS, dispatch latency, log throughput (prints figures; asserts nothing).

Starts a release-built ecs-manager and ecs-delegate on loopback and measures
- the delegate's RSS after registration, idle;
- dispatch latency: from submitting a task to its first log line being
  readable at the manager, p50/p99 over N tasks (client-side wall clock,
  long-polling the manager's log endpoint);
- end-to-end log throughput: one task printing 100,000 lines, from submit to
  the manager holding every line and the result.

Usage: python3 Benchmarks/runtime_bench.py [--bin DIR] [--tasks 500] [--lines 100000]
(`make bench` builds release first.)
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request


def req(base, token, method, path, body=None, timeout=60):
    data = json.dumps(body).encode() if body is not None else None
    r = urllib.request.Request(base + path, data=data, method=method)
    r.add_header("Authorization", "Bearer " + token)
    if data is not None:
        r.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(r, timeout=timeout) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def percentile(values, p):
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=None, help="directory with ecs-manager and ecs-delegate (default: release build)")
    ap.add_argument("--tasks", type=int, default=500)
    ap.add_argument("--lines", type=int, default=100000)
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    bindir = args.bin or subprocess.check_output(["swift", "build", "-c", "release", "--show-bin-path"], cwd=root, text=True).strip()

    work = tempfile.mkdtemp(prefix="ecsd-bench-")
    procs = []
    try:
        token = os.urandom(16).hex()
        tokfile = os.path.join(work, "token")
        with open(tokfile, "w") as f:
            f.write(token)
        os.chmod(tokfile, 0o600)
        portfile = os.path.join(work, "port")
        mlog = open(os.path.join(work, "manager.log"), "w")
        procs.append(subprocess.Popen([os.path.join(bindir, "ecs-manager"), "serve", "--listen", "127.0.0.1:0", "--port-file", portfile,
                                       "--data", os.path.join(work, "mdata"), "--token-file", tokfile, "--log-level", "warning"], stdout=mlog, stderr=mlog))
        for _ in range(200):
            if os.path.exists(portfile) and open(portfile).read().strip():
                break
            time.sleep(0.05)
        base = "http://127.0.0.1:" + open(portfile).read().strip()
        cfg = os.path.join(work, "delegate.yaml")
        with open(cfg, "w") as f:
            f.write(f"manager_url: {base}\ntoken_file: {tokfile}\nname: bench\ntags: [bench]\ncapacity: 4\n"
                    f"state_dir: {work}/dstate\nstatus_socket: {work}/status.sock\nlog_level: warning\n")
        dlog = open(os.path.join(work, "delegate.log"), "w")
        delegate = subprocess.Popen([os.path.join(bindir, "ecs-delegate"), "run", "--config", cfg], stdout=dlog, stderr=dlog)
        procs.append(delegate)
        for _ in range(200):
            ds = req(base, token, "GET", "/v1/delegates")
            if any(d["state"] == "connected" for d in ds):
                break
            time.sleep(0.05)
        time.sleep(2.0)
        idle_rss = rss_kib(delegate.pid)

        # Warm up one task.
        t = req(base, token, "POST", "/v1/tasks", {"type": "delegate.echo", "selectors": ["bench"], "payload": {"count": 1}})
        req(base, token, "GET", f"/v1/tasks/{t['taskId']}/logs?after=0&wait=10")

        lat = []
        for _ in range(args.tasks):
            t0 = time.perf_counter()
            t = req(base, token, "POST", "/v1/tasks", {"type": "delegate.echo", "selectors": ["bench"], "payload": {"count": 1}})
            while True:
                page = req(base, token, "GET", f"/v1/tasks/{t['taskId']}/logs?after=0&wait=10")
                if page["lines"]:
                    break
            lat.append((time.perf_counter() - t0) * 1000.0)

        t0 = time.perf_counter()
        t = req(base, token, "POST", "/v1/tasks", {"type": "delegate.echo", "selectors": ["bench"], "payload": {"count": args.lines}})
        while True:
            info = req(base, token, "GET", f"/v1/tasks/{t['taskId']}")
            if info["state"] in ("succeeded", "failed", "cancelled", "rejected") and info["logLines"] >= args.lines:
                break
            if info["state"] in ("failed", "cancelled", "rejected"):
                break
            time.sleep(0.01)
        elapsed = time.perf_counter() - t0
        peak_rss = rss_kib(delegate.pid)

        print(json.dumps({
            "delegate_idle_rss_mib": round(idle_rss / 1024.0, 1),
            "dispatch_latency_ms": {"tasks": len(lat), "p50": round(percentile(lat, 50), 2), "p99": round(percentile(lat, 99), 2), "max": round(max(lat), 2)},
            "log_throughput": {"lines": args.lines, "lines_at_manager": info["logLines"], "state": info["state"], "seconds": round(elapsed, 3),
                               "lines_per_second": int(info["logLines"] / elapsed) if elapsed > 0 else None},
            "delegate_rss_after_throughput_mib": round(peak_rss / 1024.0, 1),
            "aims": {"idle_rss_mib": 30, "dispatch_p99_ms": 20, "lines_100k_seconds": 3},
        }, indent=2))
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
