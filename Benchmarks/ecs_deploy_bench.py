#!/usr/bin/env python3
"""One rolling deployment through manager + delegate, beside fabfuel's `ecs deploy`, on the same simulator.

Starts the simulator (time scale 0.05 unless --time-scale), seeds the
tutorial's world, and starts a release-built ecs-manager and ecs-delegate.
The delegate first creates the tutorial's service with 2 tasks. Then, for
each run, alternately:

- ours:   submit `ecs.rolling.deploy` of a new image; wall time from submit
          to the manager holding the `succeeded` result;
- fabfuel: `ecs deploy ecs-tutorial myapp --image nginx <new image>`; wall
          time of the process;

and the API calls each made (from the simulator's /_awssim/calls, reset
before each). Prints JSON with every run and the medians. Asserts nothing.

Usage: python3 Benchmarks/ecs_deploy_bench.py [--runs 3] [--bin DIR] [--time-scale 0.05]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from fleet import ROOT, http
from fleet import Fleet

SIM = os.path.join(ROOT, "tools", "awssim")
MANIFESTS = os.path.join(ROOT, "Tests", "ManifestsTests", "Fixtures")


def ecs_cmd():
    here = os.path.join(os.path.dirname(sys.executable), "ecs")
    if os.path.exists(here):
        return [here]
    found = shutil.which("ecs")
    return [found] if found else [sys.executable, "-c", "import sys; from ecs_deploy.cli import ecs; sys.exit(ecs())"]


def manifest(name, seed, edit=lambda s: s):
    with open(os.path.join(MANIFESTS, name)) as f:
        text = f.read()
    text = (text.replace("<ecsInstanceRole Role ARN>", "arn:aws:iam::123456789012:role/ecsInstanceRole")
            .replace("<Security Group Id>", seed["securityGroupId"]).replace("<Subnet Id>", seed["subnets"][0]))
    return {"store": "inline", "identifier": name, "path": "account:/ECS Tutorial/" + name, "content": edit(text)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bin", default=None)
    ap.add_argument("--time-scale", default="0.05")
    args = ap.parse_args()
    with Fleet(tags=["ecs"], bindir=args.bin) as f:
        sim = subprocess.Popen([sys.executable, "-m", "awssim", "--port", "0", "--quiet", "--time-scale", args.time_scale],
                               cwd=SIM, env={**os.environ, "PYTHONPATH": SIM}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        f.own(sim)
        endpoint = json.loads(sim.stdout.readline())["endpoint"]
        seed = json.loads(subprocess.check_output([sys.executable, "-m", "awssim", "seed", "--endpoint", endpoint], cwd=SIM,
                                                  env={**os.environ, "PYTHONPATH": SIM}, text=True))
        connector = {"aws": {"region": "us-east-1", "endpoint": endpoint, "credentials": {"kind": "static", "accessKeyId": "testing", "secretAccessKey": "testing"}}}
        two = lambda s: s.replace("desiredCount: 1", "desiredCount: 2")

        def deploy(image):
            payload = {"cluster": seed["cluster"], "variables": {"artifact": {"image": image}},
                       "manifests": {"taskDefinition": manifest("RegisterTaskDefinitionRequest.yaml", seed),
                                     "serviceDefinition": manifest("CreateServiceRequest.yaml", seed, two)}}
            t0 = time.perf_counter()
            t = f.call("POST", "/v1/tasks", {"type": "ecs.rolling.deploy", "selectors": ["ecs"], "payload": payload,
                                                  "executionId": image, "connector": connector})
            while True:
                info = f.call("GET", f"/v1/tasks/{t['taskId']}")
                if info["state"] in ("succeeded", "failed", "cancelled", "rejected"):
                    return time.perf_counter() - t0, info
                time.sleep(0.01)

        seconds, info = deploy("nginx:1")
        if info["state"] != "succeeded":
            raise SystemExit(f"first deployment failed: {info.get('error')}")
        env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        results = {"ours": [], "fabfuel": []}
        for i in range(args.runs):
            http("DELETE", endpoint + "/_awssim/calls")
            seconds, info = deploy(f"nginx:ours-{i}")
            calls = http("GET", endpoint + "/_awssim/calls")
            results["ours"].append({"seconds": round(seconds, 3), "state": info["state"], "calls": calls.get("total"), "byOperation": calls.get("ecs", {})})
            http("DELETE", endpoint + "/_awssim/calls")
            t0 = time.perf_counter()
            r = subprocess.run(ecs_cmd() + ["deploy", seed["cluster"], "myapp", "--image", "nginx", f"nginx:fabfuel-{i}", "--timeout", "60"],
                               env=env, capture_output=True, text=True, timeout=180)
            seconds = time.perf_counter() - t0
            calls = http("GET", endpoint + "/_awssim/calls")
            results["fabfuel"].append({"seconds": round(seconds, 3), "exit": r.returncode, "calls": calls.get("total"), "byOperation": calls.get("ecs", {})})
        summary = {k: {"median_seconds": statistics.median(x["seconds"] for x in v), "median_calls": statistics.median(x["calls"] for x in v)} for k, v in results.items()}
        print(json.dumps({"timeScale": float(args.time_scale), "desiredCount": 2, "runs": results, "median": summary}, indent=2))


if __name__ == "__main__":
    sys.exit(main())
