#!/usr/bin/env python3
"""Measure fabfuel's `ecs deploy` against the simulator.

Starts the simulator (default time scale unless --time-scale), seeds the
tutorial's world, creates a 2-task FARGATE service behind the prod target
group, waits until it is stable, resets the call counters, runs

    ecs deploy ecs-tutorial myapp --image web nginx:2 --timeout 60

and prints its wall time, exit code and the API calls it made (from
/_awssim/calls) as JSON.

Usage: python3 tools/awssim/bench_ecs_deploy.py [--runs N] [--time-scale X]
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def _control(endpoint: str, method: str, path: str, body: object = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(endpoint + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def _ecs_cmd() -> list[str]:
    here = os.path.join(os.path.dirname(sys.executable), "ecs")
    if os.path.exists(here):
        return [here]
    found = shutil.which("ecs")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from ecs_deploy.cli import ecs; sys.exit(ecs())"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1, help="deployments to measure (default 1)")
    ap.add_argument("--time-scale", default="0.05", help="simulator time scale (default 0.05)")
    args = ap.parse_args()

    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, "-m", "awssim", "--port", "0", "--time-scale",
                             args.time_scale], cwd=HERE, stdout=subprocess.PIPE, stderr=log,
                            text=True, env={**os.environ, "PYTHONPATH": HERE})
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        if not ready:
            raise SystemExit("simulator did not start within 30 s")
        endpoint = json.loads(proc.stdout.readline())["endpoint"]
        world = _control(endpoint, "POST", "/_awssim/seed", {})

        import boto3

        ecs = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=world["region"]).client(
            "ecs", endpoint_url=endpoint)
        td = ecs.register_task_definition(
            family="fargate-task-definition", networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "web", "image": "nginx:1", "essential": True,
                                   "portMappings": [{"containerPort": 80}]}],
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(
            cluster=world["cluster"], serviceName="myapp", taskDefinition=td, desiredCount=2,
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {
                "subnets": world["subnets"], "securityGroups": [world["securityGroupId"]],
                "assignPublicIp": "ENABLED"}},
            loadBalancers=[{"targetGroupArn": world["prodTargetGroupArn"],
                            "containerName": "web", "containerPort": 80}],
            deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True,
                                                                  "rollback": True},
                                     "maximumPercent": 200, "minimumHealthyPercent": 100},
        )
        ecs.get_waiter("services_stable").wait(cluster=world["cluster"], services=["myapp"],
                                               WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": world["region"], "AWS_ENDPOINT_URL": endpoint,
                    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
        results = []
        for i in range(args.runs):
            image = f"nginx:{i + 2}"
            cmd = [*_ecs_cmd(), "deploy", world["cluster"], "myapp", "--image", "web", image,
                   "--timeout", "60"]
            _control(endpoint, "DELETE", "/_awssim/calls")
            t0 = time.monotonic()
            r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
            wall = time.monotonic() - t0
            calls = _control(endpoint, "GET", "/_awssim/calls")
            results.append({"image": image, "exitCode": r.returncode,
                            "wallSeconds": round(wall, 3), "calls": calls})
            if r.returncode != 0:
                sys.stderr.write(r.stdout + r.stderr)
        shown = " ".join(["ecs", "deploy", world["cluster"], "myapp", "--image", "web",
                          "nginx:N", "--timeout", "60"])
        print(json.dumps({
            "command": shown,
            "env": "AWS_ENDPOINT_URL=<sim> AWS_DEFAULT_REGION=us-east-1 dummy credentials",
            "timeScale": float(args.time_scale),
            "service": {"desiredCount": 2, "launchType": "FARGATE", "loadBalancer": True},
            "runs": results,
            "medianWallSeconds": sorted(r["wallSeconds"] for r in results)[len(results) // 2],
        }, indent=2))
        return 0 if all(r["exitCode"] == 0 for r in results) else 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


if __name__ == "__main__":
    sys.exit(main())
