"""API faults, call counting and the control endpoint."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError


def _code(fn):
    with pytest.raises(ClientError) as info:
        fn()
    return info.value.response["Error"]["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_throttling_json_and_query(sim, world):
    ecs, elb = sim.client("ecs"), sim.client("elbv2")
    sim.ok("POST", "/_awssim/faults/api", {"rules": [
        {"service": "ecs", "operations": ["ListClusters"], "error": "throttling", "rate": 1.0},
        {"operations": ["elasticloadbalancing:DescribeLoadBalancers"], "error": "throttling"},
    ]})
    assert _code(ecs.list_clusters) == ("ThrottlingException", 400)
    assert _code(elb.describe_load_balancers) == ("Throttling", 400)
    ecs.describe_clusters(clusters=[world["cluster"]])  # other operations unaffected
    elb.describe_target_groups()


def test_unavailable_and_count_limit(sim, world):
    ecs, elb = sim.client("ecs"), sim.client("elbv2")
    sim.ok("POST", "/_awssim/faults/api", {"operations": ["DescribeServices",
                                                          "DescribeListeners"],
                                           "error": "unavailable", "count": 2})
    assert _code(lambda: ecs.describe_services(cluster=world["cluster"], services=["x"])) == \
        ("ServiceUnavailableException", 503)
    assert _code(lambda: elb.describe_listeners(LoadBalancerArn=world["loadBalancerArn"])) == \
        ("ServiceUnavailable", 503)
    # count exhausted: calls pass again; a retrying client would have succeeded
    ecs.describe_services(cluster=world["cluster"], services=["x"])
    faults = sim.ok("GET", "/_awssim/faults")
    assert faults["api"][0]["injected"] == 2
    # added latency
    sim.ok("POST", "/_awssim/faults/api", {"service": "ecs", "latencyMs": 300, "replace": True})
    t0 = time.monotonic()
    ecs.list_clusters()
    assert time.monotonic() - t0 >= 0.3
    assert sim.ok("DELETE", "/_awssim/faults") == {"settings": sim.ok("GET", "/_awssim/faults")[
        "settings"], "images": [], "api": [], "blackhole": {"secondsLeft": 0.0, "dropped": 0}}


def test_retrying_client_survives_partial_throttling(sim, world):
    from botocore.config import Config  # noqa: F401

    ecs = sim.client("ecs", )
    import boto3
    from botocore.config import Config as C
    retrying = boto3.session.Session(aws_access_key_id="t", aws_secret_access_key="t",
                                     region_name="us-east-1").client(
        "ecs", endpoint_url=sim.endpoint,
        config=C(retries={"max_attempts": 10, "mode": "standard"}))
    sim.ok("POST", "/_awssim/faults/api", {"operations": ["ListClusters"],
                                           "error": "throttling", "count": 3})
    sim.ok("DELETE", "/_awssim/calls")
    assert retrying.list_clusters()["clusterArns"]
    assert sim.ok("GET", "/_awssim/calls")["ecs"]["ListClusters"] == 4
    del ecs


def test_calls_counted_per_service_and_operation(sim, world):
    ecs, elb, s3 = sim.client("ecs"), sim.client("elbv2"), sim.client("s3")
    sim.ok("POST", "/_awssim/reset", {})
    ecs.list_clusters()
    ecs.list_clusters()
    ecs.describe_clusters(clusters=[world["cluster"]])
    elb.describe_target_groups()
    s3.create_bucket(Bucket="bkt")
    s3.put_object(Bucket="bkt", Key="a/b.json", Body=b"{}")
    sim.client("sts").get_caller_identity()
    calls = sim.ok("GET", "/_awssim/calls")
    assert calls["ecs"] == {"ListClusters": 2, "DescribeClusters": 1}
    assert calls["elasticloadbalancing"] == {"DescribeTargetGroups": 1}
    assert calls["sts"] == {"GetCallerIdentity": 1}
    assert calls["s3"] == {"PUT /bkt": 1, "PUT /bkt/a/b.json": 1}
    assert calls["total"] == 7
    sim.ok("POST", "/_awssim/reset", {})
    assert sim.ok("GET", "/_awssim/calls") == {"total": 0}
    # a full reset also forgets moto's resources
    assert ecs.list_clusters()["clusterArns"]
    assert sim.ok("POST", "/_awssim/reset", {"moto": True})["reset"][-1] == "moto"
    assert ecs.list_clusters()["clusterArns"] == []


BAD_REQUESTS = [
    ("/_awssim/faults/api", {"error": "boom"}, "error"),
    ("/_awssim/faults/api", {"error": "throttling", "rate": 2}, "rate"),
    ("/_awssim/faults/api", {"error": "throttling", "operations": "ListClusters"}, "operations"),
    ("/_awssim/faults/api", {"error": "throttling", "colour": 1}, "colour"),
    ("/_awssim/faults/images", {"failToStart": True}, "pattern"),
    ("/_awssim/faults/images", {"pattern": "(", "regex": True}, "pattern"),
    ("/_awssim/faults/images", {"rules": [{"pattern": "a", "exitCode": "x"}]}, "rules[0].exitCode"),
    ("/_awssim/config", {"timeScale": 0}, "timeScale"),
    ("/_awssim/config", {"pendingSeconds": -1}, "pendingSeconds"),
    ("/_awssim/reset", {"moto": "yes"}, "moto"),
]


def test_bad_control_requests_are_400_naming_the_field(sim):
    for path, body, field in BAD_REQUESTS:
        status, out = sim.control("POST", path, body)
        assert status == 400, (path, body, out)
        assert f"'{field}'" in out["message"], (path, body, out)
    status, out = sim.control("POST", "/_awssim/faults/api", None)
    assert status == 400 and "rule needs" in out["message"]
    status, out = sim.control("POST", "/_awssim/config", "not an object")
    assert status == 400
    assert sim.ok("GET", "/_awssim/health")["status"] == "ok"
    status, out = sim.control("GET", "/_awssim/nope")
    assert status == 404 and "routes" in out


def test_internal_error_before_the_call_has_no_effect(sim, world):
    ecs, elb = sim.client("ecs"), sim.client("elbv2")
    sim.ok("POST", "/_awssim/faults/api", {"rules": [
        {"service": "ecs", "operations": ["CreateCluster"], "error": "internal", "count": 1},
        {"operations": ["elasticloadbalancing:DescribeLoadBalancers"], "error": "internal", "count": 1},
    ]})
    assert _code(lambda: ecs.create_cluster(clusterName="never")) == ("ServerException", 500)
    assert _code(elb.describe_load_balancers) == ("InternalError", 500)
    # Unlike internalAfter, the call never reached moto.
    assert "never" not in " ".join(ecs.list_clusters()["clusterArns"])


def test_blackhole_holds_calls_then_drops_them_unanswered(sim, world):
    import socket as s
    import urllib.error
    import urllib.request

    assert sim.ok("POST", "/_awssim/faults/blackhole", {"seconds": 1.5}) == {"blackholeSeconds": 1.5}
    assert sim.ok("GET", "/_awssim/faults")["blackhole"]["secondsLeft"] > 0
    # A call made during the blackhole gets no answer at all: the connection is dropped when it ends.
    req = urllib.request.Request(sim.endpoint + "/", data=b"{}", method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ecs/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    t0 = time.monotonic()
    with pytest.raises((urllib.error.URLError, ConnectionError, s.timeout, OSError)) as info:
        urllib.request.urlopen(req, timeout=10).read()
    assert not isinstance(info.value, urllib.error.HTTPError), "an answer came through the blackhole"
    assert time.monotonic() - t0 >= 1.0
    # A client whose timeout is shorter than the blackhole gives up first.
    sim.ok("POST", "/_awssim/faults/blackhole", {"seconds": 2})
    t0 = time.monotonic()
    with pytest.raises((urllib.error.URLError, s.timeout, OSError)):
        urllib.request.urlopen(req, timeout=0.5).read()
    assert time.monotonic() - t0 < 1.5
    # Control routes are never blackholed, and DELETE /faults ends it.
    cleared = sim.ok("DELETE", "/_awssim/faults")
    assert cleared["blackhole"]["secondsLeft"] == 0
    assert sim.client("ecs").list_clusters()["clusterArns"]
    assert sim.ok("GET", "/_awssim/faults")["blackhole"]["dropped"] >= 1


def test_blackhole_is_validated(sim, world):
    for body, field in [({}, "seconds"), ({"seconds": -1}, "seconds"), ({"seconds": 601}, "seconds"),
                        ({"seconds": 1, "x": 1}, "x")]:
        code, answer = sim.control("POST", "/_awssim/faults/blackhole", body)
        assert code == 400 and field in answer["message"], (body, answer)


def test_token_bucket_throttles_beyond_burst_then_refills(sim, world):
    """A ratePerSecond/burst rule passes `burst` calls at once, throttles the rest, and refills over time."""
    ecs = sim.client("ecs")
    faults = sim.ok("POST", "/_awssim/faults/api", {"service": "ecs", "operations": ["DescribeServices"],
                                                    "ratePerSecond": 2, "burst": 5})
    rule = faults["api"][0]
    assert (rule["ratePerSecond"], rule["burst"], rule["error"]) == (2.0, 5, "throttling")
    outcomes = []
    for _ in range(8):
        try:
            ecs.describe_services(cluster=world["cluster"], services=["x"])
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])
    # 8 calls in well under a second: the 5 of the burst pass (at most one more refilled), the rest are throttled.
    assert outcomes[:5] == ["ok"] * 5
    assert outcomes.count("ThrottlingException") >= 2
    assert set(outcomes) <= {"ok", "ThrottlingException"}
    ecs.list_clusters()  # other operations are not in the bucket
    time.sleep(1.1)  # 2 tokens a second: at least 2 back
    ecs.describe_services(cluster=world["cluster"], services=["x"])
    ecs.describe_services(cluster=world["cluster"], services=["x"])
    state = sim.ok("GET", "/_awssim/faults")["api"][0]
    assert state["passed"] == outcomes.count("ok") + 2
    assert state["injected"] == outcomes.count("ThrottlingException")


def test_token_bucket_sustained_rate(sim, world):
    """Calls spread over time get through at about ratePerSecond once the burst is spent."""
    ecs = sim.client("ecs")
    sim.ok("POST", "/_awssim/faults/api", {"operations": ["ecs:ListClusters"], "ratePerSecond": 10, "burst": 1})
    ok = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < 1.0:
        try:
            ecs.list_clusters()
            ok += 1
        except ClientError:
            pass
    elapsed = time.monotonic() - t0
    # burst 1 plus 10 per second: never more than the bucket allows (requests take time, so fewer is fine).
    assert 1 <= ok <= 1 + 10 * elapsed + 1


def test_token_bucket_validation(sim, world):
    for body, needle in [
        ({"ratePerSecond": 0}, "ratePerSecond' must be >= 0.001"),
        ({"ratePerSecond": "fast"}, "ratePerSecond' must be a number"),
        ({"ratePerSecond": 5, "burst": 0}, "burst' must be >= 1"),
        ({"ratePerSecond": 5, "burst": 2.5}, "burst' must be an integer"),
        ({"burst": 5, "error": "throttling"}, "burst' needs 'ratePerSecond'"),
        ({"ratePerSecond": 5, "rate": 0.5}, "exclude each other"),
    ]:
        status, answer = sim.control("POST", "/_awssim/faults/api", body)
        assert status == 400 and needle in answer["message"], (body, answer)
    # default burst: the rate rounded up; 'unavailable' instead of throttling when asked
    rule = sim.ok("POST", "/_awssim/faults/api", {"ratePerSecond": 2.5, "error": "unavailable"})["api"][0]
    assert (rule["burst"], rule["error"]) == (3, "unavailable")
