#!/usr/bin/env python3
"""1,000 concurrent deployments through one delegate against ECS's DescribeServices budget (issue 16, item 3).

One manager + one delegate (capacity = --deployments), one simulator whose
DescribeServices is a token bucket of ECS's documented service-read rate
(20 a second, bursts of 50; docs/awssim.md), one cluster. All deployments
(first deployments of `--deployments` services of `--desired` tasks, no load
balancer) are submitted at once. Prints JSON: how many succeeded and failed
(and why), time to notice p50/p99 (the simulator's steady-state event to the
manager's finishedAt), wall time, DescribeServices in total and throttled,
against what independent waiters would spend over the same waits (one call
per service per second, as this delegate did before, and one per 15 s, the
CLI waiter's cadence), the delegate's peak RSS and CPU seconds, the
manager's and simulator's CPU seconds (which of them is the bottleneck), and
the machine's load. Asserts nothing.

Usage: python3 Benchmarks/fleet_bench.py [--deployments 1000] [--time-scale 0.05] [--bin DIR]
"""
import argparse
import sys
import time

from fleet import Fleet
from simbench import Simulator, connector, emit, epoch, loadavg, manifest, percentile, proc_status, service_edit


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deployments", type=int, default=1000)
    ap.add_argument("--desired", type=int, default=1)
    ap.add_argument("--time-scale", type=float, default=0.05)
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--burst", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--bin", default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    n = args.deployments
    with Fleet(tags=["ecs"], bindir=args.bin, capacity=min(1000, n)) as f:
        sim = Simulator(f, args.time_scale)
        world = sim.seed("fleet")
        sim.control("POST", "/_awssim/faults/api", {"service": "ecs", "operations": ["DescribeServices"],
                                                    "ratePerSecond": args.rate, "burst": args.burst})
        sim.reset_calls()
        td = manifest("RegisterTaskDefinitionRequest.yaml", world)
        before = {"delegate": proc_status(f.delegate.pid), "manager": proc_status(f.procs[0].pid), "sim": proc_status(sim.proc.pid)}
        t0 = time.time()
        ids = []
        for i in range(n):
            payload = {"cluster": world["cluster"], "variables": {"artifact": {"image": "nginx:1"}},
                       "manifests": {"taskDefinition": td,
                                     "serviceDefinition": manifest("CreateServiceRequest.yaml", world, service_edit(world, args.desired, name=f"svc-{i:04d}"))}}
            ids.append(f.call("POST", "/v1/tasks", {"type": "ecs.rolling.deploy", "selectors": ["ecs"], "payload": payload,
                                                     "executionId": f"fleet-{i}", "connector": connector(sim)})["taskId"])
        submitted = time.time() - t0
        done = {}
        peak_rss = 0.0
        deadline = time.monotonic() + args.timeout
        while len(done) < n and time.monotonic() < deadline:
            for t in f.call("GET", f"/v1/tasks?limit={min(1000, n)}"):
                if t["taskId"] in ids and t["state"] in ("succeeded", "failed", "cancelled", "rejected"):
                    done[t["taskId"]] = t
            peak_rss = max(peak_rss, proc_status(f.delegate.pid).get("VmRSS", 0))
            time.sleep(0.5)
        wall = time.time() - t0
        after = {"delegate": proc_status(f.delegate.pid), "manager": proc_status(f.procs[0].pid), "sim": proc_status(sim.proc.pid)}
        calls = sim.calls()
        faults = sim.control("GET", "/_awssim/faults")["api"][0]
        # Steady-state events, 10 services a call, outside the bucket's count (the rule is cleared first).
        sim.control("DELETE", "/_awssim/faults")
        ecs = sim.boto("ecs")
        steady = {}
        names = [f"svc-{i:04d}" for i in range(n)]
        for k in range(0, n, 10):
            for s in ecs.describe_services(cluster=world["cluster"], services=names[k:k + 10])["services"]:
                ts = [e["createdAt"].timestamp() for e in s["events"] if "has reached a steady state" in e["message"]]
                if ts:
                    steady[s["serviceName"]] = min(ts)
        notice, waits, failures = [], [], {}
        by_id = dict(zip(ids, names))
        for tid, t in done.items():
            if t["state"] != "succeeded":
                code = (t.get("error") or {}).get("code", t["state"])
                failures[code] = failures.get(code, 0) + 1
                continue
            end = epoch(t["finishedAt"])
            waits.append(end - t0)
            if by_id[tid] in steady:
                notice.append(end - steady[by_id[tid]])
        describes = calls.get("ecs", {}).get("DescribeServices", 0)
        out = {
            "benchmark": "1,000 concurrent deployments (item 3)", "date": time.strftime("%Y-%m-%d %H:%M"), "loadavg1": loadavg(),
            "deployments": n, "desiredCount": args.desired, "timeScale": args.time_scale,
            "bucket": {"ratePerSecond": args.rate, "burst": args.burst, "passed": faults.get("passed"), "throttled": faults.get("injected")},
            "succeeded": sum(1 for t in done.values() if t["state"] == "succeeded"), "unfinished": n - len(done), "failures": failures,
            "submitSeconds": round(submitted, 2), "wallSeconds": round(wall, 2),
            "noticeSeconds": {"p50": percentile(notice, 50), "p99": percentile(notice, 99), "max": max(notice) if notice else None},
            "describeServices": {"total": describes, "answered": faults.get("passed"), "throttled": faults.get("injected"),
                                 "independentWaitersEverySecond": round(sum(waits)), "independentWaitersEvery15s": round(sum(w / 15 + 1 for w in waits))},
            "callsByOperation": calls.get("ecs", {}),
            "delegate": {"peakRssMiB": after["delegate"].get("VmHWM"), "rssSampledPeakMiB": round(peak_rss, 1),
                         "cpuSeconds": round(after["delegate"].get("cpu_s", 0) - before["delegate"].get("cpu_s", 0), 2)},
            "managerCpuSeconds": round(after["manager"].get("cpu_s", 0) - before["manager"].get("cpu_s", 0), 2),
            "simulatorCpuSeconds": round(after["sim"].get("cpu_s", 0) - before["sim"].get("cpu_s", 0), 2),
        }
        emit(out, args.json)


if __name__ == "__main__":
    sys.exit(main())
