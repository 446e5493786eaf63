"""The seed command prints a usable world."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import AWSSIM_DIR, aws_env


def test_seed_cli_output_is_usable(sim):
    r = subprocess.run([sys.executable, "-m", "awssim", "seed", "--endpoint", sim.endpoint,
                        "--cluster", "demo", "--region", "us-west-2"],
                       cwd=AWSSIM_DIR, env=aws_env(sim.endpoint), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    w = json.loads(r.stdout)
    for key in ("cluster", "clusterArn", "vpcId", "subnets", "securityGroupId",
                "loadBalancerArn", "prodListenerArn", "stageListenerArn",
                "prodTargetGroupArn", "stageTargetGroupArn", "region"):
        assert w[key], key
    assert w["cluster"] == "demo" and w["region"] == "us-west-2" and len(w["subnets"]) == 2
    # The listeners are served on loopback; the world seeded before has its own servers.
    assert set(w["listenerUrls"]) == {"prod", "stage"}
    assert all(u.startswith("http://127.0.0.1:") for u in w["listenerUrls"].values())
    servers = {x["listenerArn"]: x["url"] for x in sim.ok("GET", "/_awssim/listeners")["listeners"]}
    assert len(servers) == 4
    assert (servers[w["prodListenerArn"]], servers[w["stageListenerArn"]]) == (
        w["listenerUrls"]["prod"], w["listenerUrls"]["stage"])
    import boto3

    sess = boto3.session.Session(aws_access_key_id="t", aws_secret_access_key="t",
                                 region_name="us-west-2")
    ec2 = sess.client("ec2", endpoint_url=sim.endpoint)
    elb = sess.client("elbv2", endpoint_url=sim.endpoint)
    ecs = sess.client("ecs", endpoint_url=sim.endpoint)
    zones = {s["AvailabilityZone"] for s in ec2.describe_subnets(SubnetIds=w["subnets"])["Subnets"]}
    assert len(zones) == 2
    listeners = elb.describe_listeners(LoadBalancerArn=w["loadBalancerArn"])["Listeners"]
    by_port = {ln["Port"]: ln["DefaultActions"][0]["TargetGroupArn"] for ln in listeners}
    assert by_port == {80: w["prodTargetGroupArn"], 8080: w["stageTargetGroupArn"]}
    tgs = elb.describe_target_groups(TargetGroupArns=[w["prodTargetGroupArn"],
                                                      w["stageTargetGroupArn"]])["TargetGroups"]
    assert {(t["Port"], t["TargetType"]) for t in tgs} == {(80, "ip")}
    assert ecs.describe_clusters(clusters=["demo"])["clusters"][0]["status"] == "ACTIVE"


def test_module_runs_from_repo_root_with_pythonpath(tmp_path):
    import os

    root = os.path.dirname(os.path.dirname(AWSSIM_DIR))
    r = subprocess.run([sys.executable, "-m", "awssim", "--help"], cwd=root,
                       env={**os.environ, "PYTHONPATH": os.path.join("tools", "awssim")},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--time-scale" in r.stdout
    r = subprocess.run([sys.executable, "-m", "awssim", "seed", "--help"], cwd=root,
                       env={**os.environ, "PYTHONPATH": os.path.join("tools", "awssim")},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--endpoint" in r.stdout
