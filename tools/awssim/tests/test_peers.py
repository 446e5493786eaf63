"""Peers' tools against the simulator: fabfuel's `ecs deploy` and `aws ecs wait`."""

from __future__ import annotations

import subprocess
import time

from conftest import (aws_cmd, aws_env, create_service, describe, ecs_deploy_cmd, register_td,
                      wait_stable)

CB_NO_ROLLBACK = {"deploymentCircuitBreaker": {"enable": True, "rollback": False},
                  "maximumPercent": 200, "minimumHealthyPercent": 100}


def _service(sim, world, name="myapp"):
    sim.ok("POST", "/_awssim/config", {"timeScale": 0.05})  # the default, as users run it
    ecs = sim.client("ecs")
    create_service(ecs, world, name, register_td(ecs, "nginx:1"), desired=2, lb=True,
                   deploymentConfiguration=CB_NO_ROLLBACK)
    wait_stable(ecs, world, name)
    return ecs


def _ecs_deploy(sim, world, image, name="myapp"):
    cmd = [*ecs_deploy_cmd(), "deploy", world["cluster"], name, "--image", "web", image,
           "--timeout", "60"]
    return subprocess.run(cmd, env=aws_env(sim.endpoint), capture_output=True, text=True,
                          timeout=90)


def test_ecs_deploy_succeeds(sim, world):
    ecs = _service(sim, world)
    sim.ok("DELETE", "/_awssim/calls")
    t0 = time.monotonic()
    r = _ecs_deploy(sim, world, "nginx:2")
    elapsed = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Deployment successful" in r.stdout
    s = describe(ecs, world, "myapp")
    assert len(s["deployments"]) == 1 and s["runningCount"] == 2
    td = ecs.describe_task_definition(taskDefinition=s["taskDefinition"])["taskDefinition"]
    assert td["containerDefinitions"][0]["image"] == "nginx:2"
    calls = sim.ok("GET", "/_awssim/calls")
    assert calls["ecs"]["UpdateService"] == 1
    assert elapsed < 30


def test_ecs_deploy_reports_failed_deployment(sim, world):
    _service(sim, world)
    sim.ok("POST", "/_awssim/faults/images", {"pattern": "nginx:broken", "failToStart": True})
    r = _ecs_deploy(sim, world, "nginx:broken")
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "Deployment Failed" in out
    assert "circuit breaker" in out


def test_aws_cli_wait_services_stable(sim, world):
    ecs = _service(sim, world)
    ecs.update_service(cluster=world["cluster"], service="myapp",
                       taskDefinition=register_td(ecs, "nginx:2"))
    cmd = [*aws_cmd(), "ecs", "wait", "services-stable", "--cluster", world["cluster"],
           "--services", "myapp"]
    r = subprocess.run(cmd, env=aws_env(sim.endpoint), capture_output=True, text=True,
                       timeout=80)
    assert r.returncode == 0, r.stdout + r.stderr
    s = describe(ecs, world, "myapp")
    assert len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED"
    cmd = [*aws_cmd(), "ecs", "describe-services", "--cluster", world["cluster"],
           "--services", "myapp", "--query", "services[0].events[0].message", "--output", "text"]
    r = subprocess.run(cmd, env=aws_env(sim.endpoint), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "(service myapp) has reached a steady state."


def test_ecs_deploy_misses_a_circuit_breaker_rollback(sim, world):
    """Characterises the peer: after a rollback it reports success (see ecs-steps.md)."""
    ecs = sim.client("ecs")
    sim.ok("POST", "/_awssim/config", {"timeScale": 0.05})
    td1 = register_td(ecs, "nginx:1")
    create_service(ecs, world, "myapp", td1, desired=2, lb=True, deploymentConfiguration={
        "deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    wait_stable(ecs, world, "myapp")
    sim.ok("POST", "/_awssim/faults/images", {"pattern": "nginx:broken", "failToStart": True})
    r = _ecs_deploy(sim, world, "nginx:broken")
    assert r.returncode == 0, r.stdout + r.stderr  # the peer's flaw, not ours
    s = describe(ecs, world, "myapp")
    assert s["taskDefinition"] == td1  # ... the service was rolled back
    assert "rolling back" in s["deployments"][0]["rolloutStateReason"]
