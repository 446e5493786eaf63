#!/usr/bin/env python3
"""Long rollout cost (issue 16, item 2; `make bench-long`): DescribeServices per waiting minute and time to notice.

Real time (time scale 1), so the deregistration delay the delegate reads from
the target group is the one the simulator drains for. Two simulators side by
side, one per tool, so each one's calls are its own; on each, `--clusters`
clusters with the tutorial's 2-task service behind the prod target group:

- ours:  one `ecs.rolling.deploy` per cluster through one manager + delegate;
- aws:   `aws ecs update-service` then `aws ecs wait services-stable` per cluster
         (run again while it gives up after its 40 attempts);

both started at the same moment, on a rollout of about `--rollout-seconds`:
provisioning 5 %, pending 15 %, the target group's deregistration delay 75 %,
stopping 5 %. Time to notice: from the simulator's "has reached a steady
state." event to the manager holding the result (ours) or the waiter exiting.
Prints JSON (and --json FILE). Asserts nothing.

Usage: python3 Benchmarks/waiting_bench.py [--rollout-seconds 600] [--clusters 3] [--bin DIR]
"""
import argparse
import sys
import time

from fleet import Fleet
from simbench import (Simulator, aws_cmd, aws_env, await_tasks, emit, loadavg, run_many, spread, submit_ours)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rollout-seconds", type=float, default=600)
    ap.add_argument("--clusters", type=int, default=3)
    ap.add_argument("--bin", default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    r = args.rollout_seconds
    phases = {"provisioningSeconds": round(r * 0.05, 1), "pendingSeconds": round(r * 0.15, 1), "stoppingSeconds": round(r * 0.05, 1)}
    drain = int(round(r * 0.75))
    with Fleet(tags=["ecs"], bindir=args.bin) as f:
        sims = {"ours": Simulator(f, 1), "aws": Simulator(f, 1)}
        worlds = {k: [s.seed(f"c{i}") for i in range(args.clusters)] for k, s in sims.items()}
        # The target groups as their owners configured them, before any deployment reads them.
        for k, s in sims.items():
            for w in worlds[k]:
                s.set_deregistration_delay(w, drain)
        # The services as they are before the rollout: 2 tasks each, behind the prod target group.
        first = [submit_ours(f, sims["ours"], w, "nginx:1", f"first-{w['cluster']}", lb=True) for w in worlds["ours"]]
        ecs = sims["aws"].boto("ecs")
        for w in worlds["aws"]:
            td = ecs.register_task_definition(family="app", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
                                              containerDefinitions=[{"name": "nginx", "image": "nginx:1", "essential": True,
                                                                     "portMappings": [{"containerPort": 80}]}])["taskDefinition"]["taskDefinitionArn"]
            ecs.create_service(cluster=w["cluster"], serviceName="myapp", taskDefinition=td, desiredCount=2, launchType="FARGATE",
                               networkConfiguration={"awsvpcConfiguration": {"subnets": w["subnets"], "securityGroups": [w["securityGroupId"]]}},
                               loadBalancers=[{"targetGroupArn": w["prodTargetGroupArn"], "containerName": "nginx", "containerPort": 80}],
                               deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 100})
        done = await_tasks(f, first, 120)
        if len(done) != len(first) or any(i["state"] != "succeeded" for i, _ in done.values()):
            raise SystemExit(f"first deployments failed: {[i.get('error') for i, _ in done.values()]}")
        for w in worlds["aws"]:
            ecs.get_waiter("services_stable").wait(cluster=w["cluster"], services=["myapp"], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        new_td = {}
        for w in worlds["aws"]:
            new_td[w["cluster"]] = ecs.register_task_definition(
                family="app", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
                containerDefinitions=[{"name": "nginx", "image": "nginx:2", "essential": True, "portMappings": [{"containerPort": 80}]}]
            )["taskDefinition"]["taskDefinitionArn"]
        for k, s in sims.items():
            s.control("POST", "/_awssim/config", {**phases, "deregistrationDelaySeconds": drain})
            s.reset_calls()

        # Both tools at once.
        t0 = time.time()
        ids = [submit_ours(f, sims["ours"], w, "nginx:2", f"long-{w['cluster']}", lb=True) for w in worlds["ours"]]
        env = aws_env(sims["aws"].endpoint)
        update = run_many([aws_cmd() + ["ecs", "update-service", "--cluster", w["cluster"], "--service", "myapp", "--task-definition",
                                        new_td[w["cluster"]], "--output", "json"] for w in worlds["aws"]], env, 120)
        waiter_runs = {w["cluster"]: 0 for w in worlds["aws"]}
        pending_waits = [w for w in worlds["aws"]]
        waits = {}
        while pending_waits:
            res = run_many([aws_cmd() + ["ecs", "wait", "services-stable", "--cluster", w["cluster"], "--services", "myapp"] for w in pending_waits],
                           env, r * 3)
            again = []
            for w, (code, _, ended, rss) in zip(pending_waits, res):
                waiter_runs[w["cluster"]] += 1
                waits[w["cluster"]] = (code, ended, max(rss, waits.get(w["cluster"], (0, 0, 0))[2]))
                if code != 0 and waiter_runs[w["cluster"]] < 5:
                    again.append(w)  # "Max attempts exceeded": a script runs it again
            pending_waits = again
        ours_done = await_tasks(f, ids, r * 3)
        delegate = f.delegate.pid
        from simbench import proc_status
        delegate_status = proc_status(delegate)

        results = {}
        for k in sims:
            calls = sims[k].calls()
            results[k] = {"calls": calls.get("ecs", {}), "elbv2": calls.get("elasticloadbalancing", {}), "perCluster": []}
        for w, tid in zip(worlds["ours"], ids):
            info, ended = ours_done.get(tid, ({"state": "timeout"}, time.time()))
            steady = sims["ours"].steady_at(w, "myapp", t0)
            results["ours"]["perCluster"].append({"cluster": w["cluster"], "state": info["state"], "waitSeconds": round(ended - t0, 2),
                                                  "noticeSeconds": round(ended - steady, 3) if steady else None})
        for w, (code, _, _, _) in zip(worlds["aws"], update):
            wcode, ended, rss = waits[w["cluster"]]
            steady = sims["aws"].steady_at(w, "myapp", t0)
            results["aws"]["perCluster"].append({"cluster": w["cluster"], "exit": wcode, "updateExit": code, "waiterRuns": waiter_runs[w["cluster"]],
                                                 "waitSeconds": round(ended - t0, 2), "noticeSeconds": round(ended - steady, 3) if steady else None,
                                                 "peakRssMiB": round(rss, 1)})
        for k, v in results.items():
            describes = v["calls"].get("DescribeServices", 0)
            minutes = sum(c["waitSeconds"] for c in v["perCluster"]) / len(v["perCluster"]) / 60
            v["describeServices"] = describes
            v["describeServicesPerClusterPerWaitingMinute"] = round(describes / args.clusters / minutes, 2) if minutes else None
            v["noticeSeconds"] = spread([c["noticeSeconds"] for c in v["perCluster"]])
        results["ours"]["delegate"] = {"peakRssMiB": delegate_status.get("VmHWM"), "cpuSeconds": delegate_status.get("cpu_s")}
        out = {"benchmark": "long rollout (item 2)", "date": time.strftime("%Y-%m-%d %H:%M"), "loadavg1": loadavg(),
               "rolloutSeconds": r, "phases": {**phases, "deregistrationDelaySeconds": drain}, "clusters": args.clusters, "timeScale": 1,
               "results": results}
        emit(out, args.json)


if __name__ == "__main__":
    sys.exit(main())
