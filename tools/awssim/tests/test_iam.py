"""IAM enforcement: moto's SigV4 and policy checks, switched on by the route or the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import AWSSIM_DIR, REGION, Sim, stop_sim


def _client(sim: Sim, service: str, key: dict[str, str]) -> object:
    return boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
        region_name=REGION,
    ).client(service, endpoint_url=sim.endpoint,
             config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def _user(sim: Sim, name: str, actions: list[str]) -> dict[str, str]:
    iam = sim.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    return iam.create_access_key(UserName=name)["AccessKey"]


def _error(fn: object) -> str:
    with pytest.raises(ClientError) as info:
        fn()  # type: ignore[operator]
    err = info.value.response["Error"]
    return f"{err.get('Code')} {err.get('Message')}"


def test_the_route_turns_policy_checks_on_and_off(sim, world):
    assert sim.ok("GET", "/_awssim/iam")["enforcing"] is False
    reader = _user(sim, "reader", ["ecs:ListClusters", "elasticloadbalancing:Describe*"])
    state = sim.ok("POST", "/_awssim/iam", {"enforce": True})
    assert state["enforcing"] is True

    ecs = _client(sim, "ecs", reader)
    assert world["clusterArn"] in ecs.list_clusters()["clusterArns"]
    _client(sim, "elbv2", reader).describe_load_balancers()
    # Not granted: ECS (a JSON protocol) answers AccessDeniedException as AWS does, naming user and action.
    denied = _error(lambda: ecs.describe_services(cluster=world["cluster"], services=["x"]))
    assert denied.startswith("AccessDeniedException ") and "user/reader" in denied and "ecs:DescribeServices" in denied
    # A query protocol keeps AWS's AccessDenied.
    assert _error(lambda: _client(sim, "elbv2", reader).delete_target_group(TargetGroupArn=world["prodTargetGroupArn"])).startswith("AccessDenied ")
    # Unknown keys (the default "testing" ones) are refused.
    assert "InvalidClientTokenId" in _error(lambda: sim.client("elbv2").describe_load_balancers())
    # Control routes are never checked.
    assert sim.ok("GET", "/_awssim/health")["status"] == "ok"

    assert sim.ok("POST", "/_awssim/iam", {"enforce": False})["enforcing"] is False
    sim.client("ecs").describe_services(cluster=world["cluster"], services=["x"])


@pytest.mark.parametrize("body, field", [({}, "enforce"), ({"enforce": "yes"}, "enforce"),
                                         ({"enforce": True, "x": 1}, "x")])
def test_bad_iam_requests_are_400_naming_the_field(sim, body, field):
    status, out = sim.control("POST", "/_awssim/iam", body)
    assert status == 400 and f"'{field}'" in out["message"], out
    assert sim.ok("GET", "/_awssim/iam")["enforcing"] is False


def test_the_environment_variable_enforces_after_n_calls():
    # The tutorial's seed makes 17 calls, then the admin user takes 3: enforcement starts at call 21.
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "awssim", "--port", "0", "--quiet"], cwd=AWSSIM_DIR,
        stdout=subprocess.PIPE, stderr=log, text=True,
        env={**os.environ, "PYTHONPATH": AWSSIM_DIR, "INITIAL_NO_AUTH_ACTION_COUNT": "20"})
    line = proc.stdout.readline()
    sim = Sim(json.loads(line)["endpoint"], proc)
    try:
        state = sim.ok("GET", "/_awssim/iam")
        assert state == {"enforcing": False, "unauthenticatedCalls": 0, "initialNoAuthActionCount": 20}
        world = sim.ok("POST", "/_awssim/seed", {})
        assert sim.ok("GET", "/_awssim/iam")["unauthenticatedCalls"] == 17
        admin = _user(sim, "admin", ["*"])
        assert sim.ok("GET", "/_awssim/iam")["enforcing"] is True
        assert "InvalidClientTokenId" in _error(lambda: sim.client("ecs").list_clusters())
        ecs = _client(sim, "ecs", admin)
        assert ecs.describe_clusters(clusters=[world["cluster"]])["clusters"][0]["status"] == "ACTIVE"
    finally:
        stop_sim(sim, log)


def test_cloudwatch_calls_are_checked_as_cloudwatch_actions(sim, world):
    # CloudWatch signs as "monitoring"; its IAM actions are "cloudwatch:*", as in AWS.
    sim.client("cloudwatch").put_metric_alarm(
        AlarmName="iam-5xx", Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold")
    watcher = _user(sim, "watcher", ["cloudwatch:DescribeAlarms"])
    other = _user(sim, "other", ["monitoring:DescribeAlarms"])
    assert sim.ok("POST", "/_awssim/iam", {"enforce": True})["enforcing"] is True
    alarms = _client(sim, "cloudwatch", watcher).describe_alarms(AlarmNames=["iam-5xx"])["MetricAlarms"]
    assert [a["AlarmName"] for a in alarms] == ["iam-5xx"]
    denied = _error(lambda: _client(sim, "cloudwatch", other).describe_alarms(AlarmNames=["iam-5xx"]))
    assert "AccessDenied" in denied and "cloudwatch:DescribeAlarms" in denied
    sim.ok("POST", "/_awssim/iam", {"enforce": False})
