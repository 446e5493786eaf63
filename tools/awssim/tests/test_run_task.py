"""RunTask / StopTask: lifecycle, exit codes, failures to start, waiters."""

from __future__ import annotations

from conftest import network, register_td, wait_for


def _run(ecs, world, td, launch_type="FARGATE", count=1):
    out = ecs.run_task(cluster=world["cluster"], taskDefinition=td, count=count,
                       launchType=launch_type, networkConfiguration=network(world))
    assert out["failures"] == []
    return out["tasks"]


def test_fargate_run_task_lifecycle_and_waiters(sim, world):
    ecs = sim.client("ecs")
    # long enough phases that a 20 ms poll sees each one even on a busy machine
    sim.ok("POST", "/_awssim/config", {"runTaskSeconds": 40, "provisioningSeconds": 20,
                                       "pendingSeconds": 60})
    td = register_td(ecs, "busybox:1")
    tasks = _run(ecs, world, td, count=2)
    assert [t["lastStatus"] for t in tasks] == ["PROVISIONING", "PROVISIONING"]
    assert tasks[0]["desiredStatus"] == "RUNNING" and tasks[0]["launchType"] == "FARGATE"
    details = {d["name"]: d["value"] for d in tasks[0]["attachments"][0]["details"]}
    assert details["privateDnsName"].endswith(".ec2.internal")
    arns = [t["taskArn"] for t in tasks]
    seen = set()

    def running():
        ts = ecs.describe_tasks(cluster=world["cluster"], tasks=arns)["tasks"]
        seen.update(t["lastStatus"] for t in ts)
        return all(t["lastStatus"] == "RUNNING" for t in ts)
    wait_for(running, 10, 0.02, "RUNNING")
    assert {"PROVISIONING", "PENDING", "RUNNING"} <= seen
    ecs.get_waiter("tasks_running").wait(cluster=world["cluster"], tasks=arns,
                                         WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    ecs.get_waiter("tasks_stopped").wait(cluster=world["cluster"], tasks=arns,
                                         WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    for t in ecs.describe_tasks(cluster=world["cluster"], tasks=arns)["tasks"]:
        assert t["createdAt"] < t["pullStartedAt"] < t["startedAt"] < t["stoppedAt"]
        assert t["lastStatus"] == "STOPPED" and t["desiredStatus"] == "STOPPED"
        assert t["stopCode"] == "EssentialContainerExited"
        assert t["stoppedReason"] == "Essential container in task exited"
        assert t["containers"][0]["exitCode"] == 0
        assert t["startedAt"] < t["stoppedAt"]


def test_run_task_exit_code_fault_per_container(sim, world):
    ecs = sim.client("ecs")
    sim.ok("POST", "/_awssim/faults/images", {"rules": [
        {"pattern": "job:fail", "exitCode": 3, "runSeconds": 5},
        {"pattern": "^sidecar:", "regex": True, "exitCode": 0, "runSeconds": 1000},
    ]})
    td = register_td(ecs, "", family="job", containers=[
        {"name": "main", "image": "job:fail", "essential": True},
        {"name": "side", "image": "sidecar:1", "essential": False},
    ])
    arn = _run(ecs, world, td)[0]["taskArn"]
    ecs.get_waiter("tasks_stopped").wait(cluster=world["cluster"], tasks=[arn],
                                         WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    t = ecs.describe_tasks(cluster=world["cluster"], tasks=[arn])["tasks"][0]
    codes = {c["name"]: c.get("exitCode") for c in t["containers"]}
    assert codes == {"main": 3, "side": 0}
    assert t["stopCode"] == "EssentialContainerExited"


def test_run_task_fails_to_start(sim, world):
    ecs = sim.client("ecs")
    sim.ok("POST", "/_awssim/faults/images", {"pattern": "ghcr.io/*:missing",
                                             "failToStart": True})
    arn = _run(ecs, world, register_td(ecs, "ghcr.io/acme/app:missing"))[0]["taskArn"]
    ecs.get_waiter("tasks_stopped").wait(cluster=world["cluster"], tasks=[arn],
                                         WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    t = ecs.describe_tasks(cluster=world["cluster"], tasks=[arn])["tasks"][0]
    assert t["stopCode"] == "TaskFailedToStart"
    assert t["stoppedReason"].startswith("CannotPullContainerError: ")
    assert "ghcr.io/acme/app:missing" in t["stoppedReason"]
    assert "startedAt" not in t
    assert "exitCode" not in t["containers"][0]
    out = ecs.describe_tasks(cluster=world["cluster"], tasks=[arn, "0123456789abcdef"])
    assert len(out["tasks"]) == 1 and out["failures"][0]["reason"] == "MISSING"


def test_ec2_awsvpc_run_task_and_stop_task(sim, world):
    ecs = sim.client("ecs")
    td = ecs.register_task_definition(
        family="ec2job", networkMode="awsvpc", requiresCompatibilities=["EC2"],
        containerDefinitions=[{"name": "c", "image": "busybox", "memory": 128}],
    )["taskDefinition"]["taskDefinitionArn"]
    sim.ok("POST", "/_awssim/config", {"runTaskSeconds": 10000})
    arn = _run(ecs, world, td, launch_type="EC2")[0]["taskArn"]
    ecs.get_waiter("tasks_running").wait(cluster=world["cluster"], tasks=[arn],
                                         WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    t = ecs.stop_task(cluster=world["cluster"], task=arn, reason="done here")["task"]
    assert t["desiredStatus"] == "STOPPED"
    ecs.get_waiter("tasks_stopped").wait(cluster=world["cluster"], tasks=[arn],
                                         WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    t = ecs.describe_tasks(cluster=world["cluster"], tasks=[arn])["tasks"][0]
    assert t["launchType"] == "EC2"
    assert t["stopCode"] == "UserInitiated" and t["stoppedReason"] == "done here"
    assert ecs.list_tasks(cluster=world["cluster"], desiredStatus="STOPPED")["taskArns"] == [arn]
    assert ecs.list_tasks(cluster=world["cluster"])["taskArns"] == []


def test_task_start_delay(sim, world):
    ecs = sim.client("ecs")
    sim.ok("POST", "/_awssim/config", {"taskStartDelaySeconds": 40, "runTaskSeconds": 1000})
    arn = _run(ecs, world, register_td(ecs, "slow:1"))[0]["taskArn"]
    import time
    t0 = time.monotonic()
    ecs.get_waiter("tasks_running").wait(cluster=world["cluster"], tasks=[arn],
                                         WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    scale = sim.ok("GET", "/_awssim/config")["timeScale"]
    assert time.monotonic() - t0 >= 40 * scale


def test_run_task_client_token_is_idempotent(sim, world):
    ecs = sim.client("ecs")
    td = register_td(ecs, "busybox:1")
    kwargs = dict(cluster=world["cluster"], taskDefinition=td, count=2, launchType="FARGATE",
                  networkConfiguration=network(world), clientToken="task-1-attempt-1")
    first = ecs.run_task(**kwargs)["tasks"]
    again = ecs.run_task(**kwargs)["tasks"]
    assert len(first) == 2
    assert [t["taskArn"] for t in again] == [t["taskArn"] for t in first]
    other = ecs.run_task(**{**kwargs, "clientToken": "task-1-attempt-2"})["tasks"]
    assert {t["taskArn"] for t in other}.isdisjoint({t["taskArn"] for t in first})
    family = td.split("/")[-1].split(":")[0]
    listed = [a for status in ("RUNNING", "STOPPED")
              for a in ecs.list_tasks(cluster=world["cluster"], family=family, desiredStatus=status)["taskArns"]]
    assert len(set(listed)) == 4


def test_internal_error_after_the_call_took_effect(sim, world):
    """A 500 whose call already ran: a retry with the same clientToken starts nothing new."""
    import boto3
    from botocore.config import Config
    ecs = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1").client(
        "ecs", endpoint_url=sim.endpoint, config=Config(retries={"total_max_attempts": 3, "mode": "standard"}))
    td = register_td(ecs, "busybox:1")
    sim.ok("POST", "/_awssim/faults/api", {"service": "ecs", "operations": ["RunTask"], "error": "internalAfter", "count": 1})
    tasks = ecs.run_task(cluster=world["cluster"], taskDefinition=td, count=1, launchType="FARGATE",
                         networkConfiguration=network(world), clientToken="retried-once")["tasks"]
    assert len(tasks) == 1
    assert sim.ok("GET", "/_awssim/calls")["ecs"]["RunTask"] == 2
    family = td.split("/")[-1].split(":")[0]
    # Running or already stopped (the task's run is short): one task either way, never two.
    listed = [a for status in ("RUNNING", "STOPPED")
              for a in ecs.list_tasks(cluster=world["cluster"], family=family, desiredStatus=status)["taskArns"]]
    assert len(set(listed)) == 1
