#!/usr/bin/env python3
"""Soak: memory of both daemons over many tasks, and its slope after warm-up (issue 29).

One release-built manager and delegate on loopback (Benchmarks/fleet.py), a
fresh pair per workload, run one after the other:

- echo:      `delegate.echo` tasks, payload {"count": 5..20}, `--in-flight`
             (16) at a time; `--echo` tasks (100,000);
- rolling:   `ecs.rolling.deploy` of a new image, then `ecs.rolling.rollback`
             of that execution, against the simulator (tools/awssim), one
             service per worker (1 task, no load balancer); `--rolling` tasks
             (10,000: deploys and rollbacks counted alike);
- bluegreen: `ecs.bluegreen.create`, then `ecs.bluegreen.swap` with its
             outputs, one simulated world (cluster, load balancer, listeners)
             per worker; `--bluegreen` tasks (2,000: creates and swaps counted
             alike).

Every `--*-interval` finished tasks (10,000 echo, 1,000 rolling, 200
blue/green) it reads Rss and Anonymous of each daemon from
/proc/PID/smaps_rollup, and prints JSON: the samples, and the slope in MiB
per 1,000 tasks after warm-up (least squares over the samples from the
warm-up on: the first interval unless `--warmup`, `--rolling-warmup` or
`--bluegreen-warmup` says otherwise, since SQLite's page caches and malloc's
arenas fill over the first few hundred deployments), for Rss and Anonymous of
the delegate and the manager. Each worker keeps one task in
flight and every wait is bounded (`--task-timeout`); a workload stops at its
count or at `--max-seconds`. Asserts nothing: `make soak` runs it at full
size, `make bench` a shortened one.

Usage: python3 Benchmarks/soak_bench.py [--workloads echo,rolling,bluegreen] [--echo 100000]
       [--rolling 10000] [--bluegreen 2000] [--interval 10000] [--rolling-interval 1000]
       [--bluegreen-interval 200] [--warmup N] [--rolling-warmup N] [--bluegreen-warmup N] [--in-flight 16] [--deploy-workers 8] [--time-scale 0.02]
       [--bin DIR] [--json FILE]
"""
import argparse
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse

from fleet import Fleet
from simbench import Simulator, emit, loadavg, manifest, service_edit

FINISHED = ("succeeded", "failed", "cancelled", "rejected")
# A log "after" no task reaches: the manager's log long poll then answers only when the task has finished.
BEYOND_LAST_LINE = 2 ** 62


def smaps_rollup_mib(pid):
    """Rss and Anonymous of a process (MiB), from /proc/PID/smaps_rollup."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            key = parts[0].rstrip(":")
            if key in ("Rss", "Anonymous"):
                out[key.lower()] = round(int(parts[1]) / 1024.0, 2)
    return out


def slope_per_1000(points):
    """Least-squares slope of (tasks, MiB) points, in MiB per 1,000 tasks (None with fewer than 2 points)."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in points)
    return round(sxy / sxx * 1000.0, 4)


class Client:
    """One keep-alive HTTP connection to the manager, for one worker thread."""

    def __init__(self, base, token):
        u = urllib.parse.urlparse(base)
        self.host, self.port, self.token = u.hostname, u.port, token
        self.conn = None

    def call(self, method, path, body=None, timeout=60):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": "Bearer " + self.token}
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            try:
                self.conn.timeout = timeout
                if self.conn.sock is not None:
                    self.conn.sock.settimeout(timeout)
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
                continue
            if resp.status >= 300:
                raise RuntimeError(f"{method} {path}: HTTP {resp.status}: {raw[:300]!r}")
            return json.loads(raw) if raw else None

    def run(self, submission, timeout):
        """Submits a task and waits (bounded) for it to finish; returns its report."""
        tid = self.call("POST", "/v1/tasks", submission)["taskId"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            wait = max(0.1, min(30.0, deadline - time.monotonic()))
            page = self.call("GET", f"/v1/tasks/{tid}/logs?after={BEYOND_LAST_LINE}&wait={wait:.1f}", timeout=wait + 30)
            if page["state"] in FINISHED:
                return self.call("GET", f"/v1/tasks/{tid}")
        return {"taskId": tid, "state": "timeout"}


class Soak:
    """Counts finished tasks across workers and samples both daemons' memory every `interval` of them."""

    def __init__(self, fleet, count, interval, warmup, max_seconds):
        self.pids = {"delegate": fleet.delegate_pid(), "manager": fleet.procs[0].pid}
        self.count, self.interval = count, interval
        self.warmup = interval if warmup is None else warmup
        self.lock = threading.Lock()
        self.claimed = 0
        self.finished = 0
        self.outcomes = {}
        self.errors = []
        self.samples = []
        self.started = time.monotonic()
        self.deadline = self.started + max_seconds
        self.sample()

    def claim(self):
        """A task number for a worker, or None when the count (or the time) is used up."""
        with self.lock:
            if self.claimed >= self.count or time.monotonic() > self.deadline or len(self.errors) > 20:
                return None
            self.claimed += 1
            return self.claimed

    def done(self, state):
        with self.lock:
            self.finished += 1
            self.outcomes[state] = self.outcomes.get(state, 0) + 1
            if self.finished % self.interval == 0:
                self.sample()

    def error(self, e):
        with self.lock:
            self.errors.append(str(e)[:300])

    def sample(self):
        row = {"tasks": self.finished, "seconds": round(time.monotonic() - self.started, 1)}
        for name, pid in self.pids.items():
            row[name] = smaps_rollup_mib(pid)
        self.samples.append(row)

    def report(self, name, extra):
        after = [s for s in self.samples if s["tasks"] >= self.warmup]
        slopes = {d: {k: slope_per_1000([(s["tasks"], s[d][k]) for s in after]) for k in ("rss", "anonymous")} for d in self.pids}
        elapsed = time.monotonic() - self.started
        return {"workload": name, "tasks": self.finished, "outcomes": self.outcomes, "seconds": round(elapsed, 1),
                "tasksPerSecond": round(self.finished / elapsed, 1) if elapsed > 0 else None,
                "interval": self.interval, "warmupTasks": self.warmup,
                "slopeMiBPer1000Tasks": slopes, "samples": self.samples, "errors": self.errors[:5], **extra}


def run_workers(soak, workers, body):
    """Runs `body(worker_index)` in `workers` threads until the soak's count is claimed."""
    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def echo_workload(args):
    with Fleet(tags=["bench"], bindir=args.bin, capacity=args.in_flight, delegate_wrapper=args.delegate_wrapper.split()) as f:
        soak = Soak(f, args.echo, args.interval, args.warmup, args.max_seconds)
        rng = random.Random(29)

        def worker(_):
            c = Client(f.base, f.token)
            while soak.claim() is not None:
                try:
                    task = {"type": "delegate.echo", "selectors": ["bench"], "payload": {"count": rng.randint(5, 20)}}
                    if args.echo_timeout_seconds:
                        task["timeoutSeconds"] = args.echo_timeout_seconds
                    info = c.run(task, args.task_timeout)
                    soak.done(info["state"])
                except Exception as e:  # noqa: BLE001 - counted and printed, the soak goes on
                    soak.error(e)
        run_workers(soak, args.in_flight, worker)
        return soak.report("echo", {"inFlight": args.in_flight, "payload": "count 5..20"})


def connector(sim):
    return {"aws": {"region": "us-east-1", "endpoint": sim.endpoint,
                    "credentials": {"kind": "static", "accessKeyId": "testing", "secretAccessKey": "testing"}}}


def rolling_workload(args):
    with Fleet(tags=["ecs"], bindir=args.bin, capacity=max(16, args.deploy_workers), delegate_wrapper=args.delegate_wrapper.split()) as f:
        sim = Simulator(f, args.time_scale)
        world = sim.seed("soak-rolling")
        td = manifest("RegisterTaskDefinitionRequest.yaml", world)
        services = [manifest("CreateServiceRequest.yaml", world, service_edit(world, 1, name=f"soak-{w}")) for w in range(args.deploy_workers)]
        c0 = Client(f.base, f.token)
        for w in range(args.deploy_workers):
            first = c0.run({"type": "ecs.rolling.deploy", "selectors": ["ecs"], "executionId": f"soak-first-{w}", "connector": connector(sim),
                            "payload": {"cluster": world["cluster"], "variables": {"artifact": {"image": "nginx:0"}},
                                        "manifests": {"taskDefinition": td, "serviceDefinition": services[w]}}}, args.task_timeout)
            if first["state"] != "succeeded":
                raise SystemExit(f"creating service soak-{w} failed: {first.get('error')}")
        soak = Soak(f, args.rolling, args.rolling_interval, args.rolling_warmup, args.max_seconds)

        def worker(w):
            c = Client(f.base, f.token)
            i = 0
            while True:
                n = soak.claim()
                if n is None:
                    return
                i += 1
                execution = f"soak-{w}-{i // 2}"
                if i % 2:
                    task = {"type": "ecs.rolling.deploy", "selectors": ["ecs"], "executionId": execution, "connector": connector(sim),
                            "payload": {"cluster": world["cluster"], "variables": {"artifact": {"image": f"nginx:{w}-{i}"}},
                                        "manifests": {"taskDefinition": td, "serviceDefinition": services[w]}}}
                else:
                    task = {"type": "ecs.rolling.rollback", "selectors": ["ecs"], "executionId": f"soak-{w}-{(i - 1) // 2}", "connector": connector(sim),
                            "payload": {"cluster": world["cluster"], "serviceName": f"soak-{w}"}}
                try:
                    soak.done(c.run(task, args.task_timeout)["state"])
                except Exception as e:  # noqa: BLE001
                    soak.error(e)
        run_workers(soak, args.deploy_workers, worker)
        return soak.report("rolling", {"workers": args.deploy_workers, "timeScale": args.time_scale, "calls": sim.calls().get("total")})


def bluegreen_workload(args):
    with Fleet(tags=["ecs"], bindir=args.bin, capacity=max(16, args.deploy_workers), delegate_wrapper=args.delegate_wrapper.split()) as f:
        sim = Simulator(f, args.time_scale)
        worlds = [sim.seed(f"soak-bg-{w}") for w in range(args.deploy_workers)]
        soak = Soak(f, args.bluegreen, args.bluegreen_interval, args.bluegreen_warmup, args.max_seconds)

        def create(w, world, i):
            return {"type": "ecs.bluegreen.create", "selectors": ["ecs"], "executionId": f"soak-bg-{w}-{i}", "connector": connector(sim),
                    "payload": {"cluster": world["cluster"], "variables": {"artifact": {"image": f"nginx:{w}-{i}"}},
                                "manifests": {"taskDefinition": manifest("RegisterTaskDefinitionRequest.yaml", world),
                                              "serviceDefinition": manifest("BlueGreenCreateServiceRequest.yaml", world)},
                                "loadBalancer": f"{world['cluster']}-alb", "prodListener": world["prodListenerArn"], "stageListener": "8080",
                                "steadyStateTimeoutSeconds": 300}}

        def worker(w):
            c = Client(f.base, f.token)
            world = worlds[w]
            i = 0
            outputs = None
            while True:
                if soak.claim() is None:
                    return
                try:
                    if outputs is None:
                        i += 1
                        info = c.run(create(w, world, i), args.task_timeout)
                        outputs = info.get("outputs") if info["state"] == "succeeded" else None
                    else:
                        payload = dict(outputs)
                        payload["downsizeDelaySeconds"] = 0
                        info = c.run({"type": "ecs.bluegreen.swap", "selectors": ["ecs"], "executionId": f"soak-bg-{w}-{i}",
                                      "connector": connector(sim), "payload": payload}, args.task_timeout)
                        outputs = None
                    soak.done(info["state"])
                except Exception as e:  # noqa: BLE001
                    outputs = None
                    soak.error(e)
        run_workers(soak, args.deploy_workers, worker)
        return soak.report("bluegreen", {"workers": args.deploy_workers, "timeScale": args.time_scale, "calls": sim.calls().get("total")})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workloads", default="echo,rolling,bluegreen")
    ap.add_argument("--echo", type=int, default=100_000, help="echo tasks")
    ap.add_argument("--rolling", type=int, default=10_000, help="rolling deploy and rollback tasks")
    ap.add_argument("--bluegreen", type=int, default=2_000, help="blue/green create and swap tasks")
    ap.add_argument("--interval", type=int, default=10_000, help="echo tasks between samples (the first interval is the warm-up)")
    ap.add_argument("--rolling-interval", type=int, default=1_000)
    ap.add_argument("--bluegreen-interval", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=None, help="echo tasks before the slope is fitted (default: one interval)")
    ap.add_argument("--rolling-warmup", type=int, default=None, help="rolling tasks before the slope is fitted (default: one interval)")
    ap.add_argument("--bluegreen-warmup", type=int, default=None, help="blue/green tasks before the slope is fitted (default: one interval)")
    ap.add_argument("--echo-timeout-seconds", type=int, default=None, help="the echo tasks' timeoutSeconds (default: the manager's, 1,800)")
    ap.add_argument("--in-flight", type=int, default=16, help="echo tasks at a time")
    ap.add_argument("--deploy-workers", type=int, default=8, help="services (rolling) or worlds (blue/green) deployed at a time")
    ap.add_argument("--time-scale", type=float, default=0.02, help="the simulator's real seconds per ECS second")
    ap.add_argument("--task-timeout", type=float, default=600, help="the longest wait for one task")
    ap.add_argument("--max-seconds", type=float, default=6 * 3600, help="a workload stops after this long whatever its count")
    ap.add_argument("--bin", default=None)
    ap.add_argument("--delegate-wrapper", default="", help='runs the delegate under a profiler, e.g. "heaptrack -o /tmp/soak"')
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    runs = {"echo": echo_workload, "rolling": rolling_workload, "bluegreen": bluegreen_workload}
    chosen = [w.strip() for w in args.workloads.split(",") if w.strip()]
    for w in chosen:
        if w not in runs:
            ap.error(f"unknown workload {w!r} (known: {', '.join(runs)})")
    out = {"benchmark": "soak (issue 29)", "date": time.strftime("%Y-%m-%d %H:%M"), "loadavg1Start": loadavg(),
           "aimMiBPer1000Tasks": 0.05, "workloads": []}
    for w in chosen:
        out["workloads"].append(runs[w](args))
        print(json.dumps({k: out["workloads"][-1][k] for k in ("workload", "tasks", "seconds", "slopeMiBPer1000Tasks")}), file=sys.stderr, flush=True)
    out["loadavg1End"] = loadavg()
    emit(out, args.json)


if __name__ == "__main__":
    sys.exit(main())
