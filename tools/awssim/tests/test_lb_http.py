"""The load balancers' HTTP side: listeners served on loopback, routed like an ALB."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

from conftest import create_service, register_td, start_sim, stop_sim, wait_for, wait_stable


def get(url: str, timeout: float = 10.0, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def versions(url: str, n: int) -> Counter[str]:
    """How many of `n` requests each image answered (non-200 answers counted by status)."""
    seen: Counter[str] = Counter()
    for _ in range(n):
        status, body = get(url)
        seen[json.loads(body)["image"] if status == 200 else str(status)] += 1
    return seen


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return False
    except OSError:
        return True


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on `port` (from /proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(addr)
    return found


def blue(sim: Any, world: dict[str, Any], image: str = "web:blue", name: str = "blue",
         tg: str = "prodTargetGroupArn", desired: int = 2) -> str:
    ecs = sim.client("ecs")
    td = register_td(ecs, image, family=name)
    create_service(ecs, world, name, td, desired=desired, loadBalancers=[
        {"targetGroupArn": world[tg], "containerName": "web", "containerPort": 80}])
    wait_stable(ecs, world, name)
    return td


def test_prod_listener_reaches_the_blue_task_and_names_its_image(sim, world):
    urls = world["listenerUrls"]
    assert set(urls) == {"prod", "stage"}
    for url in urls.values():
        assert url.startswith("http://127.0.0.1:")
        assert listening_addresses(port_of(url)) == {"0100007F"}  # 127.0.0.1 only
    # Nothing registered yet: 503, as an ALB.
    assert get(urls["prod"])[0] == 503
    td = blue(sim, world)
    status, body = get(urls["prod"] + "/some/path?x=1")
    assert status == 200, body
    answer = json.loads(body)
    assert answer["image"] == "web:blue"
    assert answer["taskDefinition"] == td.split("/")[-1] == "blue:1"
    assert answer["targetGroupArn"] == world["prodTargetGroupArn"]
    ecs = sim.client("ecs")
    running = ecs.list_tasks(cluster=world["cluster"], serviceName="blue")["taskArns"]
    # Round-robin over both RUNNING tasks.
    tasks = {json.loads(get(urls["prod"])[1])["taskArn"] for _ in range(4)}
    assert tasks == set(running)
    # The stage listener's target group has no targets.
    assert get(urls["stage"])[0] == 503
    # The control route maps the load balancer's DNS name and listener ports to the servers.
    listeners = sim.ok("GET", "/_awssim/listeners")["listeners"]
    assert {(ln["dnsName"], ln["port"]): ln["url"] for ln in listeners} == {
        (world["loadBalancerDns"], 80): urls["prod"], (world["loadBalancerDns"], 8080): urls["stage"]}


def test_weights_split_traffic_and_changes_apply_to_the_next_request(sim, world):
    blue(sim, world)
    blue(sim, world, image="web:green", name="green", tg="stageTargetGroupArn")
    elb = sim.client("elbv2")
    prod = world["listenerUrls"]["prod"]
    assert versions(prod, 10) == {"web:blue": 10}
    elb.modify_listener(ListenerArn=world["prodListenerArn"], DefaultActions=[{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": world["prodTargetGroupArn"], "Weight": 50},
                         {"TargetGroupArn": world["stageTargetGroupArn"], "Weight": 50}]}}])
    seen = versions(prod, 40)
    assert set(seen) == {"web:blue", "web:green"} and 15 <= seen["web:blue"] <= 25, seen
    elb.modify_listener(ListenerArn=world["prodListenerArn"], DefaultActions=[{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": world["prodTargetGroupArn"], "Weight": 90},
                         {"TargetGroupArn": world["stageTargetGroupArn"], "Weight": 10}]}}])
    seen = versions(prod, 50)
    assert 40 <= seen["web:blue"] <= 50 and seen["web:green"] >= 1, seen
    # Swap: everything to green from the next request on.
    elb.modify_listener(ListenerArn=world["prodListenerArn"],
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": world["stageTargetGroupArn"]}])
    assert versions(prod, 5) == {"web:green": 5}


def test_rules_route_by_path_and_host(sim, world):
    blue(sim, world)
    blue(sim, world, image="web:green", name="green", tg="stageTargetGroupArn", desired=1)
    elb = sim.client("elbv2")
    prod = world["listenerUrls"]["prod"]
    elb.create_rule(ListenerArn=world["prodListenerArn"], Priority=10,
                    Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
                    Actions=[{"Type": "forward", "TargetGroupArn": world["stageTargetGroupArn"]}])
    elb.create_rule(ListenerArn=world["prodListenerArn"], Priority=5,
                    Conditions=[{"Field": "host-header", "Values": ["maintenance.*"]}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
                        "StatusCode": "418", "ContentType": "text/plain", "MessageBody": "teapot"}}])
    assert json.loads(get(prod + "/api/users")[1])["image"] == "web:green"
    assert json.loads(get(prod + "/apix")[1])["image"] == "web:blue"
    assert get(prod + "/api/x", headers={"Host": "maintenance.example.com"}) == (418, b"teapot")


def test_a_broken_image_runs_answers_500_and_its_targets_are_unhealthy(sim, world):
    sim.ok("POST", "/_awssim/faults/images", {"pattern": "web:broken", "httpStatus": 500,
                                             "httpBody": "boom"})
    blue(sim, world, image="web:broken")
    ecs = sim.client("ecs")
    assert ecs.describe_services(cluster=world["cluster"], services=["blue"])["services"][0]["runningCount"] == 2
    prod = world["listenerUrls"]["prod"]
    assert [get(prod) for _ in range(3)] == [(500, b"boom")] * 3
    health = sim.client("elbv2").describe_target_health(
        TargetGroupArn=world["prodTargetGroupArn"])["TargetHealthDescriptions"]
    assert len(health) == 2
    assert {h["TargetHealth"]["State"] for h in health} == {"unhealthy"}
    assert health[0]["TargetHealth"]["Reason"] == "Target.ResponseCodeMismatch"
    # The rule is the image's: taking it away heals the running tasks.
    sim.ok("DELETE", "/_awssim/faults")
    assert get(prod)[0] == 200
    health = sim.client("elbv2").describe_target_health(
        TargetGroupArn=world["prodTargetGroupArn"])["TargetHealthDescriptions"]
    assert {h["TargetHealth"]["State"] for h in health} == {"healthy"}


def test_error_ratio_fails_about_that_fraction_and_latency_delays(sim, world):
    sim.ok("POST", "/_awssim/faults/images", {"pattern": "web:flaky", "httpErrorRatio": 0.3})
    blue(sim, world, image="web:flaky")
    prod = world["listenerUrls"]["prod"]
    seen = versions(prod, 100)
    assert set(seen) == {"web:flaky", "500"} and 25 <= seen["500"] <= 35, seen
    # A fraction of failures passes the health checks.
    health = sim.client("elbv2").describe_target_health(
        TargetGroupArn=world["prodTargetGroupArn"])["TargetHealthDescriptions"]
    assert {h["TargetHealth"]["State"] for h in health} == {"healthy"}
    sim.ok("POST", "/_awssim/faults/images", {"replace": True, "pattern": "web:*", "latencyMs": 300})
    t0 = time.monotonic()
    status, _ = get(prod)
    assert status == 200 and time.monotonic() - t0 >= 0.3


def test_servers_stop_with_their_listener_load_balancer_and_reset(sim, world):
    urls = world["listenerUrls"]
    elb = sim.client("elbv2")
    assert get(urls["stage"])[0] == 503
    elb.delete_listener(ListenerArn=world["stageListenerArn"])
    wait_for(lambda: refused(port_of(urls["stage"])), timeout=5, what="stage server gone")
    assert get(urls["prod"])[0] == 503
    # A new listener gets its own server.
    ln = elb.create_listener(LoadBalancerArn=world["loadBalancerArn"], Protocol="HTTP", Port=9090,
                             DefaultActions=[{"Type": "forward", "TargetGroupArn": world["stageTargetGroupArn"]}])
    arn = ln["Listeners"][0]["ListenerArn"]
    url = {x["listenerArn"]: x["url"] for x in sim.ok("GET", "/_awssim/listeners")["listeners"]}[arn]
    assert get(url)[0] == 503
    elb.delete_load_balancer(LoadBalancerArn=world["loadBalancerArn"])
    wait_for(lambda: refused(port_of(urls["prod"])) and refused(port_of(url)), timeout=5,
             what="servers gone with the load balancer")
    assert sim.ok("GET", "/_awssim/listeners") == {"listeners": []}
    # moto's reset forgets the listeners, and so do the servers.
    sim.ok("POST", "/_awssim/seed", {"cluster": "again"})
    urls = [x["url"] for x in sim.ok("GET", "/_awssim/listeners")["listeners"]]
    assert len(urls) == 2
    sim.ok("POST", "/_awssim/reset", {"moto": True})
    assert all(refused(port_of(u)) for u in urls)


def test_servers_stop_at_shutdown():
    s, log = start_sim(["--time-scale", "0.02"])
    try:
        world = s.ok("POST", "/_awssim/seed", {})
        ports = [port_of(u) for u in world["listenerUrls"].values()]
        assert not any(refused(p) for p in ports)
    finally:
        s.proc.terminate()
        assert s.proc.wait(timeout=10) == 0  # a clean exit through the shutdown path
        stop_sim(s, log)
    assert all(refused(p) for p in ports)


def test_http_fault_fields_are_validated(sim):
    for bad, field in (({"pattern": "x", "httpStatus": 99}, "httpStatus"),
                       ({"pattern": "x", "httpErrorRatio": 1.5}, "httpErrorRatio"),
                       ({"pattern": "x", "latencyMs": -1}, "latencyMs"),
                       ({"pattern": "x", "httpBody": 5}, "httpBody")):
        status, out = sim.control("POST", "/_awssim/faults/images", bad)
        assert status == 400 and field in out["message"], out
    rules = sim.ok("POST", "/_awssim/faults/images", {"pattern": "x", "httpStatus": 503, "latencyMs": 5})
    assert rules["images"][0]["httpStatus"] == 503 and rules["images"][0]["latencyMs"] == 5


def test_cloudwatch_alarms(sim):
    cw = sim.client("cloudwatch")
    cw.put_metric_alarm(AlarmName="ecs-tutorial-5xx", Namespace="AWS/ApplicationELB",
                        MetricName="HTTPCode_Target_5XX_Count", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        Dimensions=[{"Name": "LoadBalancer", "Value": "app/ecs-tutorial-alb/1"}])
    alarm = cw.describe_alarms(AlarmNames=["ecs-tutorial-5xx"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA" and alarm["Threshold"] == 1
    cw.set_alarm_state(AlarmName="ecs-tutorial-5xx", StateValue="ALARM", StateReason="5xx seen")
    alarm = cw.describe_alarms(AlarmNames=["ecs-tutorial-5xx"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM" and alarm["StateReason"] == "5xx seen"
    assert [a["AlarmName"] for a in cw.describe_alarms(StateValue="ALARM")["MetricAlarms"]] == ["ecs-tutorial-5xx"]
    # Updating the alarm keeps its state, as in AWS.
    cw.put_metric_alarm(AlarmName="ecs-tutorial-5xx", Namespace="AWS/ApplicationELB",
                        MetricName="HTTPCode_Target_5XX_Count", Statistic="Sum", Period=60,
                        EvaluationPeriods=2, Threshold=5, ComparisonOperator="GreaterThanOrEqualToThreshold")
    alarm = cw.describe_alarms(AlarmNames=["ecs-tutorial-5xx"])["MetricAlarms"][0]
    assert (alarm["StateValue"], alarm["Threshold"], alarm["EvaluationPeriods"]) == ("ALARM", 5, 2)
    calls = sim.ok("GET", "/_awssim/calls")["monitoring"]
    assert calls == {"PutMetricAlarm": 2, "SetAlarmState": 1, "DescribeAlarms": 4}
