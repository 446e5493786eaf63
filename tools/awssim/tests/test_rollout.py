"""ECS service behaviour: deployments, tasks, events, circuit breaker, draining, targets."""

from __future__ import annotations

from conftest import create_service, describe, register_td, wait_for, wait_stable


def test_create_and_update_roll_out(sim, world):
    ecs = sim.client("ecs")
    td1 = register_td(ecs, "nginx:1")
    svc = create_service(ecs, world, "myapp", td1, desired=2)
    assert svc["deployments"][0]["status"] == "PRIMARY"
    assert svc["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert svc["deployments"][0]["id"].startswith("ecs-svc/")
    assert svc["runningCount"] == 0
    wait_stable(ecs, world, "myapp")
    s = describe(ecs, world, "myapp")
    first_id = s["deployments"][0]["id"]
    assert s["runningCount"] == 2 and s["pendingCount"] == 0
    assert s["deployments"][0]["rolloutState"] == "COMPLETED"

    td2 = register_td(ecs, "nginx:2")
    s = ecs.update_service(cluster=world["cluster"], service="myapp", taskDefinition=td2)["service"]
    assert [d["status"] for d in s["deployments"]] == ["PRIMARY", "ACTIVE"]
    new_id = s["deployments"][0]["id"]
    assert new_id != first_id
    assert s["deployments"][0]["taskDefinition"] == td2
    assert s["deployments"][1]["taskDefinition"] == td1

    max_seen = 0
    def done():
        nonlocal max_seen
        cur = describe(ecs, world, "myapp")
        live = ecs.list_tasks(cluster=world["cluster"], serviceName="myapp")["taskArns"]
        max_seen = max(max_seen, len(live))
        return cur if (len(cur["deployments"]) == 1
                       and cur["deployments"][0]["rolloutState"] == "COMPLETED") else None
    s = wait_for(done, 20, 0.05, "rollout")
    assert s["deployments"][0]["id"] == new_id
    assert max_seen <= 4  # maximumPercent 200
    msgs = [e["message"] for e in s["events"]]
    assert msgs[0] == "(service myapp) has reached a steady state."
    assert any(m.startswith("(service myapp) has started 2 tasks: (task ") for m in msgs)
    assert any(m.startswith("(service myapp) has stopped 2 running tasks: (task ") for m in msgs)
    assert len({e["id"] for e in s["events"]}) == len(s["events"])
    times = [e["createdAt"] for e in s["events"]]
    assert times == sorted(times, reverse=True)

    arns = ecs.list_tasks(cluster=world["cluster"], serviceName="myapp")["taskArns"]
    assert len(arns) == 2
    tasks = ecs.describe_tasks(cluster=world["cluster"], tasks=arns)["tasks"]
    for t in tasks:
        assert t["lastStatus"] == "RUNNING" and t["desiredStatus"] == "RUNNING"
        assert t["startedBy"] == new_id
        assert t["group"] == "service:myapp"
        assert t["taskDefinitionArn"] == td2
        assert t["containers"][0]["image"] == "nginx:2"
    stopped = ecs.list_tasks(cluster=world["cluster"], serviceName="myapp",
                             desiredStatus="STOPPED")["taskArns"]
    assert len(stopped) == 2
    old = ecs.describe_tasks(cluster=world["cluster"], tasks=stopped)["tasks"]
    wait_for(lambda: all(t["lastStatus"] == "STOPPED" for t in ecs.describe_tasks(
        cluster=world["cluster"], tasks=stopped)["tasks"]), 10, 0.1, "old tasks stopped")
    old = ecs.describe_tasks(cluster=world["cluster"], tasks=stopped)["tasks"]
    for t in old:
        assert t["stoppedReason"] == f"Scaling activity initiated by (deployment {new_id})"
        assert t["stopCode"] == "ServiceSchedulerInitiated"
        assert t["containers"][0]["exitCode"] == 143
        assert t["taskDefinitionArn"] == td1


def test_min_healthy_zero_max_100_never_exceeds_desired(sim, world):
    ecs = sim.client("ecs")
    td1 = register_td(ecs, "nginx:1")
    create_service(ecs, world, "tight", td1, desired=2,
                   deploymentConfiguration={"maximumPercent": 100, "minimumHealthyPercent": 50})
    wait_stable(ecs, world, "tight")
    td2 = register_td(ecs, "nginx:2")
    ecs.update_service(cluster=world["cluster"], service="tight", taskDefinition=td2)
    seen_running = []
    def done():
        s = describe(ecs, world, "tight")
        live = ecs.list_tasks(cluster=world["cluster"], serviceName="tight")["taskArns"]
        assert len(live) <= 2
        seen_running.append(s["runningCount"])
        return len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED"
    wait_for(done, 20, 0.05, "rollout")
    assert min(seen_running) >= 1  # minimumHealthyPercent 50 of 2


def test_force_new_deployment_and_scale(sim, world):
    ecs = sim.client("ecs")
    td1 = register_td(ecs, "nginx:1")
    create_service(ecs, world, "svc", td1, desired=1)
    wait_stable(ecs, world, "svc")
    before = describe(ecs, world, "svc")["deployments"][0]["id"]
    s = ecs.update_service(cluster=world["cluster"], service="svc", desiredCount=3)["service"]
    assert len(s["deployments"]) == 1 and s["deployments"][0]["id"] == before
    wait_stable(ecs, world, "svc")
    assert describe(ecs, world, "svc")["runningCount"] == 3
    s = ecs.update_service(cluster=world["cluster"], service="svc",
                           forceNewDeployment=True)["service"]
    assert len(s["deployments"]) == 2 and s["deployments"][0]["id"] != before

    # concurrent clients while the ticker rolls the service out (one lock)
    import threading
    errors = []

    def hammer():
        client = sim.client("ecs")
        try:
            for _ in range(15):
                client.describe_services(cluster=world["cluster"], services=["svc"])
                arns = client.list_tasks(cluster=world["cluster"], serviceName="svc")["taskArns"]
                if arns:
                    client.describe_tasks(cluster=world["cluster"], tasks=arns)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    wait_stable(ecs, world, "svc")
    s = describe(ecs, world, "svc")
    assert s["runningCount"] == 3 and len(s["deployments"]) == 1


def test_circuit_breaker_rolls_back(sim, world):
    ecs = sim.client("ecs")
    sim.ok("POST", "/_awssim/faults/images", {"pattern": "*:broken", "failToStart": True})
    td1 = register_td(ecs, "nginx:1")
    create_service(ecs, world, "cb", td1, desired=2, deploymentConfiguration={
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200, "minimumHealthyPercent": 100})
    wait_stable(ecs, world, "cb")
    good_id = describe(ecs, world, "cb")["deployments"][0]["id"]
    td2 = register_td(ecs, "nginx:broken")
    bad_id = ecs.update_service(cluster=world["cluster"], service="cb",
                                taskDefinition=td2)["service"]["deployments"][0]["id"]

    def rolled_back():
        s = describe(ecs, world, "cb")
        d = s["deployments"]
        return s if (len(d) == 1 and d[0]["id"] not in (good_id, bad_id)
                     and d[0]["rolloutState"] == "COMPLETED") else None
    s = wait_for(rolled_back, 30, 0.1, "rollback")
    assert s["taskDefinition"] == td1
    assert s["deployments"][0]["taskDefinition"] == td1
    assert good_id in s["deployments"][0]["rolloutStateReason"]
    assert "rolling back" in s["deployments"][0]["rolloutStateReason"]
    msgs = [e["message"] for e in s["events"]]
    assert f"(service cb) (deployment {bad_id}) deployment failed: tasks failed to start." in msgs
    stopped = ecs.list_tasks(cluster=world["cluster"], serviceName="cb",
                             desiredStatus="STOPPED")["taskArns"]
    failed = [t for t in ecs.describe_tasks(cluster=world["cluster"], tasks=stopped)["tasks"]
              if t["stopCode"] == "TaskFailedToStart"]
    assert len(failed) >= 3
    assert failed[0]["stoppedReason"].startswith("CannotPullContainerError: ")
    assert "exitCode" not in failed[0]["containers"][0]


def test_circuit_breaker_without_rollback_fails(sim, world):
    ecs = sim.client("ecs")
    sim.ok("POST", "/_awssim/faults/images", {"pattern": "nginx:bad", "failToStart": True})
    td1 = register_td(ecs, "nginx:1")
    create_service(ecs, world, "cb2", td1, desired=1, deploymentConfiguration={
        "deploymentCircuitBreaker": {"enable": True, "rollback": False}})
    wait_stable(ecs, world, "cb2")
    ecs.update_service(cluster=world["cluster"], service="cb2",
                       taskDefinition=register_td(ecs, "nginx:bad"))
    s = wait_for(lambda: (lambda s: s if s["deployments"][0]["rolloutState"] == "FAILED" else None)(
        describe(ecs, world, "cb2")), 20, 0.1, "FAILED")
    primary = s["deployments"][0]
    assert primary["status"] == "PRIMARY" and primary["failedTasks"] >= 3
    assert primary["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert s["runningCount"] == 1  # the old task keeps serving


def test_without_circuit_breaker_keeps_trying(sim, world):
    ecs = sim.client("ecs")
    sim.ok("POST", "/_awssim/faults/images", {"pattern": "nginx:bad", "failToStart": True})
    create_service(ecs, world, "nocb", register_td(ecs, "nginx:bad"), desired=1)
    s = wait_for(lambda: (lambda s: s if s["deployments"][0]["failedTasks"] >= 5 else None)(
        describe(ecs, world, "nocb")), 20, 0.1, "failed tasks")
    assert s["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert len(s["deployments"]) == 1


def test_delete_drains_to_inactive_and_name_reuse(sim, world):
    ecs = sim.client("ecs")
    td1 = register_td(ecs, "nginx:1")
    create_service(ecs, world, "gone", td1, desired=1, lb=True)
    wait_stable(ecs, world, "gone")
    try:
        ecs.delete_service(cluster=world["cluster"], service="gone")
        raise AssertionError("deleting a scaled service without force must fail")
    except ecs.exceptions.InvalidParameterException:
        pass
    s = ecs.delete_service(cluster=world["cluster"], service="gone", force=True)["service"]
    assert s["status"] == "DRAINING"
    try:
        create_service(ecs, world, "gone", td1, desired=1)
        raise AssertionError("create during DRAINING must fail")
    except ecs.exceptions.InvalidParameterException as exc:
        assert "Creation of service was not idempotent" in str(exc)
    wait_for(lambda: describe(ecs, world, "gone")["status"] == "INACTIVE", 20, 0.1, "INACTIVE")
    assert ecs.list_tasks(cluster=world["cluster"], serviceName="gone")["taskArns"] == []
    arns = ecs.list_services(cluster=world["cluster"])["serviceArns"]
    assert not any(a.endswith("/gone") for a in arns)
    s = create_service(ecs, world, "gone", td1, desired=1)
    assert s["status"] == "ACTIVE"
    wait_stable(ecs, world, "gone")


def test_targets_registered_and_deregistered(sim, world):
    ecs = sim.client("ecs")
    elb = sim.client("elbv2")
    tg = world["prodTargetGroupArn"]
    create_service(ecs, world, "web", register_td(ecs, "nginx:1"), desired=2, lb=True)
    wait_stable(ecs, world, "web")
    health = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    arns = ecs.list_tasks(cluster=world["cluster"], serviceName="web")["taskArns"]
    tasks = ecs.describe_tasks(cluster=world["cluster"], tasks=arns)["tasks"]
    ips = sorted(t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in tasks)
    assert sorted(h["Target"]["Id"] for h in health) == ips
    assert all(h["TargetHealth"]["State"] == "healthy" and h["Target"]["Port"] == 80
               for h in health)
    msgs = [e["message"] for e in describe(ecs, world, "web")["events"]]
    assert f"(service web) registered 2 targets in (target-group {tg})" in msgs
    ecs.update_service(cluster=world["cluster"], service="web",
                       taskDefinition=register_td(ecs, "nginx:2"))
    wait_for(lambda: len(describe(ecs, world, "web")["deployments"]) == 1
             and describe(ecs, world, "web")["deployments"][0]["rolloutState"] == "COMPLETED",
             20, 0.1, "rollout")
    health = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    arns = ecs.list_tasks(cluster=world["cluster"], serviceName="web")["taskArns"]
    tasks = ecs.describe_tasks(cluster=world["cluster"], tasks=arns)["tasks"]
    ips = sorted(t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in tasks)
    assert sorted(h["Target"]["Id"] for h in health) == ips
    msgs = [e["message"] for e in describe(ecs, world, "web")["events"]]
    assert f"(service web) deregistered 2 targets in (target-group {tg})" in msgs


def test_tags_round_trip_and_paginators(sim, world):
    ecs = sim.client("ecs")
    s = create_service(ecs, world, "tagged", register_td(ecs, "nginx:1"), desired=0,
                       tags=[{"key": "BG_VERSION", "value": "GREEN"}])
    arn = s["serviceArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "BG_VERSION", "value": "BLUE"},
                                            {"key": "team", "value": "x"}])
    ecs.untag_resource(resourceArn=arn, tagKeys=["team"])
    got = ecs.describe_services(cluster=world["cluster"], services=["tagged"],
                                include=["TAGS"])["services"][0]["tags"]
    assert got == [{"key": "BG_VERSION", "value": "BLUE"}]
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == got

    td = register_td(ecs, "nginx:1")
    for i in range(12):
        create_service(ecs, world, f"s{i:02d}", td, desired=0)
    create_service(ecs, world, "many", td, desired=7)
    pages = list(ecs.get_paginator("list_services").paginate(cluster=world["cluster"]))
    assert len(pages) == 2  # default page size 10
    arns = [a for p in pages for a in p["serviceArns"]]
    assert len(arns) == 14 and len(set(arns)) == 14
    wait_stable(ecs, world, "many")
    pages = list(ecs.get_paginator("list_tasks").paginate(
        cluster=world["cluster"], serviceName="many", PaginationConfig={"PageSize": 3}))
    assert [len(p["taskArns"]) for p in pages] == [3, 3, 1]
