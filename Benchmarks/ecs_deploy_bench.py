#!/usr/bin/env python3
"""One rolling deployment in real time, side by side with the tools people use (issue 16, item 1).

Starts the simulator at `--time-scale` (1: real time), seeds the tutorial's
world and has the delegate create the tutorial's service with 2 tasks behind
the prod target group (deregistration delay 5 s, image pull 15 s: a rollout
of about 30 s). Then, for each run, alternately:

- ours:    `ecs.rolling.deploy` of a new image through manager + delegate;
           wall time from submit to the manager holding the result;
- fabfuel: `ecs deploy ecs-tutorial myapp --image nginx IMAGE` (ecs-deploy 1.17.0);
- aws:     `aws ecs update-service --task-definition ARN` then
           `aws ecs wait services-stable` (awscli, pinned in
           tools/awssim/requirements.txt; the new revision is registered
           beforehand, outside the figures);

each with: wall time, time to notice (the simulator's "has reached a steady
state." event to the result / the process exiting), the API calls by
operation (/_awssim/calls, reset before each), and peak RSS of the deploying
process(es) (the delegate's VmHWM growth and the manager's are printed
apart; the peers' from wait4). Prints JSON (and --json FILE) with every run,
medians, min and max, and the machine's load. Asserts nothing.

Usage: python3 Benchmarks/ecs_deploy_bench.py [--runs 5] [--bin DIR] [--time-scale 1]
"""
import argparse
import sys
import time

from fleet import Fleet
from simbench import (Simulator, aws_cmd, aws_env, deploy_ours, ecs_cmd, emit, loadavg, proc_status, run_many, spread)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bin", default=None)
    ap.add_argument("--time-scale", type=float, default=1.0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    with Fleet(tags=["ecs"], bindir=args.bin) as f:
        sim = Simulator(f, args.time_scale)
        world = sim.seed("ecs-tutorial")
        sim.set_deregistration_delay(world, 5)
        info, _, _ = deploy_ours(f, sim, world, "nginx:1", "first", lb=True)
        if info["state"] != "succeeded":
            raise SystemExit(f"first deployment failed: {info.get('error')}")
        sim.control("POST", "/_awssim/config", {"pendingSeconds": 15})
        env = aws_env(sim.endpoint)
        ecs = sim.boto("ecs")
        results = {"ours": [], "fabfuel": [], "aws": []}
        for i in range(args.runs):
            # ours
            sim.reset_calls()
            t0 = time.time()
            info, seconds, ended = deploy_ours(f, sim, world, f"nginx:ours-{i}", f"run-{i}", lb=True)
            steady = sim.steady_at(world, "myapp", t0)
            calls = sim.calls()
            results["ours"].append({"seconds": round(seconds, 3), "state": info["state"], "noticeSeconds": round(ended - steady, 3) if steady else None,
                                    "calls": calls.get("total"), "byOperation": {**calls.get("ecs", {}), **calls.get("elasticloadbalancing", {}),
                                                                                 **calls.get("application-autoscaling", {})},
                                    "delegatePeakRssMiB": proc_status(f.delegate.pid).get("VmHWM")})
            # fabfuel
            sim.reset_calls()
            t0 = time.time()
            [(code, seconds, ended, rss)] = run_many([ecs_cmd() + ["deploy", world["cluster"], "myapp", "--image", "nginx", f"nginx:fabfuel-{i}",
                                                                   "--timeout", "600"]], env, 900)
            steady = sim.steady_at(world, "myapp", t0)
            calls = sim.calls()
            results["fabfuel"].append({"seconds": round(seconds, 3), "exit": code, "noticeSeconds": round(ended - steady, 3) if steady else None,
                                       "calls": calls.get("total"), "byOperation": calls.get("ecs", {}), "peakRssMiB": round(rss, 1)})
            # aws CLI: update-service, then the waiter
            current = ecs.describe_services(cluster=world["cluster"], services=["myapp"])["services"][0]["taskDefinition"]
            td = ecs.describe_task_definition(taskDefinition=current)["taskDefinition"]
            td["containerDefinitions"][0]["image"] = f"nginx:aws-{i}"
            keep = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes", "requiresCompatibilities", "cpu", "memory")
            arn = ecs.register_task_definition(**{k: td[k] for k in keep if k in td})["taskDefinition"]["taskDefinitionArn"]
            sim.reset_calls()
            t0 = time.time()
            [(c1, s1, _, r1)] = run_many([aws_cmd() + ["ecs", "update-service", "--cluster", world["cluster"], "--service", "myapp",
                                                       "--task-definition", arn, "--output", "json"]], env, 120)
            [(c2, s2, ended, r2)] = run_many([aws_cmd() + ["ecs", "wait", "services-stable", "--cluster", world["cluster"], "--services", "myapp"]], env, 900)
            steady = sim.steady_at(world, "myapp", t0)
            calls = sim.calls()
            results["aws"].append({"seconds": round(s1 + s2, 3), "exit": c2 or c1, "noticeSeconds": round(ended - steady, 3) if steady else None,
                                   "calls": calls.get("total"), "byOperation": calls.get("ecs", {}), "peakRssMiB": round(max(r1, r2), 1)})
        summary = {k: {"seconds": spread([x["seconds"] for x in v]), "noticeSeconds": spread([x["noticeSeconds"] for x in v]),
                       "calls": spread([x["calls"] for x in v]),
                       "describeServices": spread([x["byOperation"].get("DescribeServices", 0) for x in v])} for k, v in results.items()}
        summary["ours"]["delegatePeakRssMiB"] = max(x["delegatePeakRssMiB"] or 0 for x in results["ours"])
        for k in ("fabfuel", "aws"):
            summary[k]["peakRssMiB"] = spread([x["peakRssMiB"] for x in results[k]])
        out = {"benchmark": "one rolling deployment, real time (item 1)", "date": time.strftime("%Y-%m-%d %H:%M"), "loadavg1": loadavg(),
               "timeScale": args.time_scale, "desiredCount": 2, "deregistrationDelaySeconds": 5, "pendingSeconds": 15,
               "runs": results, "summary": summary}
        emit(out, args.json)


if __name__ == "__main__":
    sys.exit(main())
