#!/usr/bin/env python3
"""1,000 concurrent pipeline executions on two PostgreSQL replicas (issue 22, item 6). Prints figures; asserts only the counts.

    python3 Benchmarks/executions_bench.py [--executions 1000] [--services N] [--strategy canary|rolling|mix]
        [--replicas 2] [--delegates 2] [--simulators 1] [--time-scale 0.05] [--submitters 16] [--timeout 1200] [--bin DIR] [--json FILE]

Starts a PostgreSQL server of its own and two `ecs-manager serve` replicas on
one database (Benchmarks/replica_bench.py), `--simulators` awssim processes
(tools/awssim, `--time-scale` real seconds per ECS second) each seeded with the
tutorial's world and stored as an `aws` connector (credentials: the delegate's
chain, set in the delegates' environment), and `--delegates` delegates
(capacity enough for every execution's task at once), alternately on replica A
and replica B. Everything listens on 127.0.0.1 and is stopped at the end.

Each execution deploys one service (`--services`, default one per execution:
executions sharing a service run at the same time and step on each other's
deployments and, with the canary, on each other's canary service) with a
pipeline plan made by `ecs-manager run` itself from a pipeline file (the
request it sends is captured by a stand-in server and replayed with the
service name changed):

- canary (default): Canary Deploy, Canary Delete, Rolling Deploy (3 steps,
  2 step-to-step hand-overs per execution);
- rolling: Rolling Deploy (1 step: no hand-over, only the first submission);
- mix: the two alternately.

All executions are posted (`--submitters` threads, keep-alive connections)
to replica A and replica B alternately. The run waits (bounded by
`--timeout`) until none is deploying or rolling back, watching PostgreSQL so
that the wait costs the managers nothing, then prints JSON (and a summary on
stderr):

- outcomes by phase; for each execution, that its step runs are exactly the
  plan's steps, each task id is `TaskIdentifier.forStep(execution, ordinal,
  key)`, and PostgreSQL's `tasks` table holds exactly one task per step (no
  step submitted twice, under another ordinal or by the other replica); and
  the delegates' task counters against the number of tasks (each ran once);
- manager CPU seconds per execution: both replicas' utime+stime
  (/proc/PID/stat) from the first submission to the last execution's end,
  divided by the number of executions (and the same replicas idle, per
  second, measured before, for the floor); and the CPU seconds of the
  delegates, the simulators and PostgreSQL over the same span (where the
  rest of the machine went);
- the delay from a step's task finishing (its `finished_at`: the result
  recorded) to the next step's task being submitted (its `created_at`), over
  every consecutive pair of steps: p50, p90, p99, max; and from an
  execution's creation to its first task;
- wall time (first submission to the last execution's end), executions per
  second, and the load average during the run (1-minute, sampled every
  second: the machine is shared, so read the figures beside it).

Exit status 0 when every execution succeeded and every check held, 1 otherwise.
"""
import argparse
import concurrent.futures
import hashlib
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fleet import release_bin_dir  # noqa: E402
from replica_bench import Postgres, Processes  # noqa: E402
from simbench import Simulator, emit, epoch, loadavg, manifest, percentile, proc_status, service_edit  # noqa: E402
from soak_bench import Client  # noqa: E402

SERVICE_PLACEHOLDER = "benchsvcplaceholder"
RUNNING_PHASES = ("deploying", "rollingBack")
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def step_task_id(execution, ordinal, key):
    """`TaskIdentifier.forStep` (Sources/Manager/TaskIdentifier.swift): SHA-256 of the three parts, shaped as a version 8 UUID."""
    chars = list(hashlib.sha256(f"{execution}\0{ordinal}\0{key}".encode()).hexdigest()[:32])
    chars[12] = "8"
    chars[16] = "89ab"[int(chars[16], 16) % 4]
    s = "".join(chars)
    return f"task-{s[:8]}-{s[8:12]}-{s[12:16]}-{s[16:20]}-{s[20:]}"


def capture_plan(bindir, work, pipeline_file, token_file):
    """The `PipelinePlan` that `ecs-manager run FILE` posts, taken by a stand-in manager on loopback (nothing runs)."""
    captured = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            captured["body"] = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            plan = captured["body"]["plan"]
            answer = json.dumps({"executionId": "captured", "pipeline": plan["pipeline"], "connector": plan["connector"], "phase": "deploying",
                                 "createdAt": "2000-01-01T00:00:00Z", "runs": [], "steps": []}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        run = subprocess.run([os.path.join(bindir, "ecs-manager"), "run", "--manager", f"http://127.0.0.1:{server.server_address[1]}",
                              "--token-file", token_file, pipeline_file], capture_output=True, text=True, timeout=120, cwd=work)
        if run.returncode != 0 or "body" not in captured:
            raise RuntimeError(f"ecs-manager run {pipeline_file} failed ({run.returncode}): {run.stderr.strip()[:500]}")
        return captured["body"]["plan"]
    finally:
        server.shutdown()
        server.server_close()


def pipeline_plans(bindir, work, token_file, sim, index, strategies):
    """For simulator `index`: its seeded world, its connector's name, and each strategy's plan as JSON text with the service name a placeholder."""
    world = sim.seed(f"bench-{index}")
    base = os.path.join(work, f"pipelines-{index}")
    os.makedirs(base)
    with open(os.path.join(base, "td.yaml"), "w") as f:
        f.write(manifest("RegisterTaskDefinitionRequest.yaml", world)["content"])
    with open(os.path.join(base, "svc.yaml"), "w") as f:
        f.write(manifest("CreateServiceRequest.yaml", world, service_edit(world, 1, name=SERVICE_PLACEHOLDER))["content"])
    plans = {}
    for strategy in strategies:
        options = "{type: canary, canaryDesiredCount: 1}" if strategy == "canary" else "{type: rolling}"
        path = os.path.join(base, f"{strategy}.yaml")
        with open(path, "w") as f:
            f.write(f"pipeline: bench-{strategy}\nconnector: sim-{index}\ncluster: {world['cluster']}\nartifact: {{image: \"nginx:2\"}}\n"
                    f"manifests:\n  taskDefinition: {{path: td.yaml}}\n  serviceDefinition: {{path: svc.yaml}}\n"
                    f"strategy: {options}\ntimeoutSeconds: 900\n")
        plans[strategy] = json.dumps(capture_plan(bindir, base, path, token_file))
    return world, f"sim-{index}", plans


class LoadSampler:
    """The 1-minute load average, every second, in a thread, until stopped."""

    def __init__(self):
        self.samples = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopped.wait(1.0):
            self.samples.append(os.getloadavg()[0])

    def stop(self):
        self.stopped.set()
        self.thread.join()
        s = self.samples or [os.getloadavg()[0]]
        return {"min": round(min(s), 2), "mean": round(sum(s) / len(s), 2), "max": round(max(s), 2), "samples": len(s)}


def cpu_seconds(pids):
    return sum(proc_status(p).get("cpu_s", 0.0) for p in pids)


def postgres_cpu_seconds(pid):
    """The server's CPU seconds: the postmaster's own and its reaped children's, and each live backend's."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    total = sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return total + cpu_seconds(int(c) for c in f.read().split())


def cpu_by_process(pids, pg):
    """CPU seconds so far of the managers, the delegates, the simulators and PostgreSQL."""
    out = {k: cpu_seconds(v) for k, v in pids.items()}
    out["postgres"] = postgres_cpu_seconds(pg.proc.pid)
    return out


def delays_summary(values):
    if not values:
        return None
    ms = [v * 1000 for v in values]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 1), "p90_ms": round(percentile(ms, 90), 1), "p99_ms": round(percentile(ms, 99), 1),
            "max_ms": round(max(ms), 1), "min_ms": round(min(ms), 1)}


def check_executions(reports, plans_steps, tasks):
    """Per execution: the step runs are the plan's steps once each, each task id is the step's deterministic one, one task per step in PostgreSQL."""
    problems = []
    handovers, first_submissions = [], []
    by_execution = {}
    for t in tasks.values():
        by_execution.setdefault(t["execution"], []).append(t)
    for r in reports:
        eid = r["executionId"]
        steps = plans_steps[eid]
        runs = [x for x in r["runs"] if not x["isRollback"]]
        keys = [x["key"] for x in runs]
        if r["phase"] == "succeeded" and keys != [f"step:{s}" for s in steps]:
            problems.append(f"{eid}: step runs {keys}, plan {steps}")
        if len(set(keys)) != len(keys):
            problems.append(f"{eid}: a step ran twice: {keys}")
        for ordinal, run in enumerate(r["runs"]):
            if run.get("taskId") and run["taskId"] != step_task_id(eid, ordinal, run["key"]):
                problems.append(f"{eid}: run {ordinal} {run['key']} has task {run['taskId']}, not the step's id")
        stored = by_execution.get(eid, [])
        ids = [x["taskId"] for x in r["runs"] if x.get("taskId")]
        if len(stored) != len(ids) or {t["id"] for t in stored} != set(ids):
            problems.append(f"{eid}: {len(stored)} tasks in PostgreSQL for {len(ids)} runs")
        if runs and runs[0].get("taskId") in tasks:
            first_submissions.append(tasks[runs[0]["taskId"]]["created"] - epoch(r["createdAt"]))
        for a, b in zip(runs, runs[1:]):
            ta, tb = tasks.get(a.get("taskId")), tasks.get(b.get("taskId"))
            if ta and tb and ta["finished"] is not None:
                handovers.append(tb["created"] - ta["finished"])
    return problems, handovers, first_submissions


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--executions", type=int, default=1000)
    ap.add_argument("--services", type=int, default=None, help="distinct ECS services deployed (default: one per execution)")
    ap.add_argument("--strategy", choices=["canary", "rolling", "mix"], default="canary")
    ap.add_argument("--replicas", type=int, choices=[1, 2], default=2, help="manager replicas on the database (1: for comparison)")
    ap.add_argument("--delegates", type=int, default=2, help="delegates, alternately on replica A and B")
    ap.add_argument("--simulators", type=int, default=1, help="awssim processes, executions spread over them")
    ap.add_argument("--time-scale", type=float, default=0.05, help="the simulator's real seconds per ECS second")
    ap.add_argument("--submitters", type=int, default=16, help="threads posting executions")
    ap.add_argument("--idle-seconds", type=float, default=5, help="how long the idle replicas' CPU is measured before the run")
    ap.add_argument("--timeout", type=float, default=1200, help="the longest wait for every execution to end, seconds")
    ap.add_argument("--bin", default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    n = args.executions
    services = args.services or n
    if not (1 <= n <= 100_000 and 1 <= services <= n and 1 <= args.delegates <= 64 and 1 <= args.simulators <= 16 and 1 <= args.submitters <= 256):
        ap.error("--executions 1-100000, --services 1-executions, --delegates 1-64, --simulators 1-16, --submitters 1-256")
    bindir = args.bin or release_bin_dir()
    strategies = ["canary", "rolling"] if args.strategy == "mix" else [args.strategy]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops everything on SIGTERM too
    work = tempfile.mkdtemp(prefix="ecsd-executions-bench-")
    token_file = os.path.join(work, "token")
    with open(token_file, "w") as f:
        f.write(os.urandom(16).hex())
    os.chmod(token_file, 0o600)
    pg = procs = None
    try:
        pg = Postgres(work)
        db = pg.create_database()
        storage = ["--database", db, "--database-password-file", pg.password_file]
        procs = Processes(bindir, work, token_file)
        replicas = []
        for name in "ab"[:args.replicas]:
            url = procs.manager("replica-" + name, storage)
            replicas.append((url, procs.procs[-1].pid))
        urls = [u for u, _ in replicas]
        manager_pids = [p for _, p in replicas]
        os.environ.update(AWS_ENV)  # the delegates' credential chain (connector credentials: delegate)
        capacity = min(1000, -(-n // args.delegates) + 8)
        delegate_names = [f"delegate-{i}" for i in range(args.delegates)]
        for i, name in enumerate(delegate_names):
            procs.delegate(name, urls[i % len(urls)], capacity=capacity)
        pids = {"managers": manager_pids, "delegates": [p.pid for p in procs.procs[len(urls):]], "simulators": []}
        admin = Client(urls[0], procs.token)
        sims = []
        for i in range(args.simulators):
            sim = Simulator(procs, args.time_scale)
            pids["simulators"].append(sim.proc.pid)
            admin.call("PUT", f"/v1/connectors/sim-{i}", {"name": f"sim-{i}", "type": "aws", "region": "us-east-1", "endpoint": sim.endpoint,
                                                          "credentials": {"kind": "delegate"}, "delegateSelectors": ["bench"]})
            sims.append((sim,) + pipeline_plans(bindir, work, token_file, sim, i, strategies))

        # Each execution's plan: its simulator's, its strategy's, its service's name.
        bodies = []
        for k in range(n):
            _, _, _, plans = sims[k % len(sims)]
            text = plans[strategies[k % len(strategies)]].replace(SERVICE_PLACEHOLDER, f"svc-{k % services:05d}")
            bodies.append(text)

        # Idle floor: both replicas with the delegates parked on them.
        idle0 = cpu_seconds(manager_pids)
        time.sleep(args.idle_seconds)
        idle_per_second = (cpu_seconds(manager_pids) - idle0) / args.idle_seconds

        load = LoadSampler()
        cpu0 = cpu_seconds(manager_pids)
        all_cpu0 = cpu_by_process(pids, pg)
        load_start = loadavg()
        local = threading.local()

        def submit(k):
            if not hasattr(local, "clients"):
                local.clients = [Client(u, procs.token) for u in urls]
            body = '{"plan": ' + bodies[k] + "}"
            report = local.clients[k % len(urls)].call("POST", "/v1/executions", json.loads(body))
            return k, report["executionId"], [s["id"] for s in json.loads(bodies[k])["steps"]]

        start = time.time()
        submitted = {}
        errors = []
        with concurrent.futures.ThreadPoolExecutor(args.submitters) as pool:
            for fut in concurrent.futures.as_completed([pool.submit(submit, k) for k in range(n)]):
                try:
                    k, eid, steps = fut.result()
                    submitted[eid] = steps
                except Exception as e:  # noqa: BLE001 - counted and printed
                    errors.append(str(e)[:300])
        submit_seconds = time.time() - start
        print(f"{len(submitted)} executions posted in {submit_seconds:.1f} s ({len(errors)} refused)", file=sys.stderr, flush=True)

        deadline = time.monotonic() + args.timeout
        phases = {}
        last_print = 0
        while time.monotonic() < deadline:
            phases = {row[0]: int(row[1]) for row in pg.query(db, "SELECT phase, count(*) FROM executions GROUP BY phase")}
            running = sum(phases.get(p, 0) for p in RUNNING_PHASES)
            if running == 0:
                break
            if time.monotonic() - last_print > 15:
                last_print = time.monotonic()
                print(f"  {time.time() - start:.0f} s: {phases}", file=sys.stderr, flush=True)
            time.sleep(1.0)
        cpu1 = cpu_seconds(manager_pids)
        all_cpu1 = cpu_by_process(pids, pg)
        polled_end = time.time()
        load_during = load.stop()
        timed_out = sum(phases.get(p, 0) for p in RUNNING_PHASES)

        # The records: reports from the API (both replicas), tasks from PostgreSQL.
        reports = []
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            def get(i_eid):
                i, eid = i_eid
                if not hasattr(local, "clients"):
                    local.clients = [Client(u, procs.token) for u in urls]
                return local.clients[i % len(urls)].call("GET", f"/v1/executions/{eid}")
            reports = list(pool.map(get, enumerate(submitted)))
        tasks = {}
        for tid, eid, state, created, finished in pg.query(db, "SELECT id, execution_id, state, created_at, finished_at FROM tasks WHERE execution_id IS NOT NULL"):
            tasks[tid] = {"id": tid, "execution": eid, "state": state, "created": float(created), "finished": float(finished) if finished else None}
        problems, handovers, first_submissions = check_executions(reports, submitted, tasks)
        ran = {name: procs.tasks_succeeded(name) for name in delegate_names}
        succeeded_tasks = sum(1 for t in tasks.values() if t["state"] == "succeeded")
        ended = [epoch(r["finishedAt"]) for r in reports if r.get("finishedAt")]
        wall = (max(ended) if ended and not timed_out else polled_end) - start
        outcomes = {}
        for r in reports:
            outcomes[r["phase"]] = outcomes.get(r["phase"], 0) + 1
        failures = {}
        for r in reports:
            if r["phase"] != "succeeded":
                why = (r.get("failure") or r["phase"])[:200]
                failures[why] = failures.get(why, 0) + 1
        manager_cpu = cpu1 - cpu0
        out = {
            "benchmark": "concurrent pipeline executions on two PostgreSQL replicas (issue 22, item 6)",
            "date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count(),
            "executions": n, "services": services, "strategy": args.strategy, "stepsPerExecution": {s: len(json.loads(sims[0][3][s])["steps"]) for s in strategies},
            "replicas": args.replicas, "delegates": args.delegates, "delegateCapacity": capacity, "simulators": args.simulators, "timeScale": args.time_scale, "submitters": args.submitters,
            "posted": len(submitted), "refused": len(errors), "refusedSamples": errors[:5], "submitSeconds": round(submit_seconds, 2),
            "outcomes": outcomes, "failures": dict(sorted(failures.items(), key=lambda kv: -kv[1])[:10]), "stillRunningAtTimeout": timed_out,
            "tasks": len(tasks), "tasksSucceeded": succeeded_tasks, "delegatesRan": ran, "delegatesRanTotal": sum(ran.values()),
            "eachStepSubmittedOnce": not problems and len(tasks) == sum(len([x for x in r["runs"] if x.get("taskId")]) for r in reports),
            "eachTaskRanOnce": sum(ran.values()) == succeeded_tasks,
            "problems": len(problems), "problemSamples": problems[:10],
            "wallSeconds": round(wall, 2), "executionsPerSecond": round(n / wall, 2) if wall > 0 else None,
            "managerCpuSeconds": round(manager_cpu, 2), "managerCpuSecondsPerExecution": round(manager_cpu / n, 4),
            "managerIdleCpuSecondsPerSecond": round(idle_per_second, 4),
            "managerCpuSecondsPerExecutionAboveIdle": round((manager_cpu - idle_per_second * (polled_end - start)) / n, 4),
            "cpuSecondsDuringRun": {k: round(all_cpu1[k] - all_cpu0[k], 1) for k in all_cpu0},
            "stepHandoverDelay": delays_summary(handovers), "firstStepDelay": delays_summary(first_submissions),
            "loadavg1": {"start": load_start, "during": load_during, "end": loadavg()},
        }
        emit(out, args.json)
        h = out["stepHandoverDelay"] or {}
        print(f"{n} executions ({args.strategy}, {services} services, {args.replicas} replica(s), {args.delegates} delegates, {args.simulators} simulator(s), time scale {args.time_scale}): "
              f"{outcomes}; {len(tasks)} tasks, each step submitted once: {out['eachStepSubmittedOnce']} ({len(problems)} problems), "
              f"each task ran once: {out['eachTaskRanOnce']} (delegates ran {sum(ran.values())} of {succeeded_tasks} succeeded)\n"
              f"wall {wall:.1f} s ({out['executionsPerSecond']} executions/s); manager CPU {manager_cpu:.1f} s = {manager_cpu / n:.4f} s per execution "
              f"(idle floor {idle_per_second:.3f} CPU-s/s); step hand-over p50 {h.get('p50_ms')} ms, p99 {h.get('p99_ms')} ms, max {h.get('max_ms')} ms "
              f"over {h.get('n')} pairs; CPU-s during the run {out['cpuSecondsDuringRun']}; load average during the run {load_during['min']}-{load_during['max']} (shared machine)", file=sys.stderr)
        ok = outcomes.get("succeeded", 0) == n and out["eachStepSubmittedOnce"] and out["eachTaskRanOnce"]
        return 0 if ok else 1
    finally:
        if procs:
            procs.stop()
        if pg:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
