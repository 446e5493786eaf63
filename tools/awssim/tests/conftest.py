"""Fixtures: each test gets its own simulator process on a free loopback port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from typing import Any, Callable

import pytest

AWSSIM_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if AWSSIM_DIR not in sys.path:
    sys.path.insert(0, AWSSIM_DIR)

REGION = "us-east-1"
CLUSTER = "ecs-tutorial"
START_TIMEOUT = 30.0
# Tests run ECS time 2.5x faster than the default (0.05) to keep the suite
# short; peer-tool tests switch back to the default through /_awssim/config.
TEST_TIME_SCALE = "0.02"


def aws_env(endpoint: str) -> dict[str, str]:
    """Environment for peer CLIs: dummy credentials, no user config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
        "PYTHONPATH": AWSSIM_DIR,
    })
    return env


class Sim:
    def __init__(self, endpoint: str, proc: subprocess.Popen[str]) -> None:
        self.endpoint = endpoint
        self.proc = proc

    def client(self, service: str, **config: Any) -> Any:
        import boto3
        from botocore.config import Config

        cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                     read_timeout=30, **config)
        return boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION,
        ).client(service, endpoint_url=self.endpoint, config=cfg)

    def control(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.endpoint + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, out = self.control(method, path, body)
        assert status == 200, (status, out)
        return out


def start_sim(extra_args: list[str] | None = None) -> tuple[Sim, Any]:
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "awssim", "--port", "0", "--quiet", *(extra_args or [])],
        cwd=AWSSIM_DIR, stdout=subprocess.PIPE, stderr=log, text=True,
        env={**os.environ, "PYTHONPATH": AWSSIM_DIR},
    )
    deadline = time.monotonic() + START_TIMEOUT
    import select

    line = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            break
        if proc.poll() is not None:
            break
    if not line:
        proc.kill()
        log.seek(0)
        raise RuntimeError(f"awssim did not start: {log.read()[-2000:]}")
    return Sim(json.loads(line)["endpoint"], proc), log


def stop_sim(sim: Sim, log: Any) -> None:
    sim.proc.terminate()
    try:
        sim.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        sim.proc.kill()
        sim.proc.wait(timeout=5)
    log.close()


class _Pool:
    """Starts (and seeds) the next test's simulator while the current test runs.

    Every test still gets its own fresh process, killed when the test ends;
    this only overlaps the ~2 s of process start and seeding with the
    previous test's (mostly idle) waiting.
    """

    def __init__(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.executor = ThreadPoolExecutor(max_workers=1)
        self.spare: Any = None

    @staticmethod
    def _make() -> tuple[Sim, Any, dict[str, Any]]:
        s, log = start_sim(["--time-scale", TEST_TIME_SCALE])
        try:
            world = s.ok("POST", "/_awssim/seed", {})
            s.ok("DELETE", "/_awssim/calls")
        except BaseException:
            stop_sim(s, log)
            raise
        return s, log, world

    def take(self) -> tuple[Sim, Any, dict[str, Any]]:
        fut = self.spare or self.executor.submit(self._make)
        self.spare = self.executor.submit(self._make)
        return fut.result(timeout=START_TIMEOUT + 30)

    def close(self) -> None:
        if self.spare is not None:
            try:
                s, log, _ = self.spare.result(timeout=START_TIMEOUT + 30)
                stop_sim(s, log)
            except Exception:
                pass
        self.executor.shutdown(wait=True)


@pytest.fixture(scope="session")
def _pool() -> Any:
    pool = _Pool()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
def _sim_and_world(_pool: _Pool) -> Any:
    s, log, world = _pool.take()
    try:
        yield s, world
    finally:
        stop_sim(s, log)


@pytest.fixture
def sim(_sim_and_world: Any) -> Sim:
    """A fresh simulator process (already seeded with the tutorial's world)."""
    return _sim_and_world[0]


@pytest.fixture
def world(_sim_and_world: Any) -> dict[str, Any]:
    """The seed output of the `sim` fixture's process."""
    return _sim_and_world[1]


def wait_for(fn: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1,
             what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last={last!r}")


def register_td(ecs: Any, image: str, family: str = "app", containers: list | None = None) -> str:
    defs = containers or [{"name": "web", "image": image, "essential": True,
                           "portMappings": [{"containerPort": 80, "protocol": "tcp"}]}]
    return ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
        cpu="256", memory="512", containerDefinitions=defs,
    )["taskDefinition"]["taskDefinitionArn"]


def network(world: dict[str, Any]) -> dict[str, Any]:
    return {"awsvpcConfiguration": {"subnets": world["subnets"],
                                    "securityGroups": [world["securityGroupId"]],
                                    "assignPublicIp": "ENABLED"}}


def create_service(ecs: Any, world: dict[str, Any], name: str, td: str, desired: int = 2,
                   lb: bool = False, **kwargs: Any) -> dict[str, Any]:
    args: dict[str, Any] = dict(cluster=world["cluster"], serviceName=name, taskDefinition=td,
                                desiredCount=desired, launchType="FARGATE",
                                networkConfiguration=network(world))
    if lb:
        args["loadBalancers"] = [{"targetGroupArn": world["prodTargetGroupArn"],
                                  "containerName": "web", "containerPort": 80}]
    args.update(kwargs)
    return ecs.create_service(**args)["service"]


def describe(ecs: Any, world: dict[str, Any], name: str) -> dict[str, Any]:
    return ecs.describe_services(cluster=world["cluster"], services=[name])["services"][0]


def wait_stable(ecs: Any, world: dict[str, Any], name: str, attempts: int = 60) -> None:
    ecs.get_waiter("services_stable").wait(
        cluster=world["cluster"], services=[name],
        WaiterConfig={"Delay": 0.2, "MaxAttempts": attempts})


TEST_TIMEOUT = int(os.environ.get("AWSSIM_TEST_TIMEOUT", "90"))


@pytest.fixture(autouse=True)
def _bounded_test() -> Any:
    """Fail any test that runs longer than TEST_TIMEOUT seconds (SIGALRM)."""
    import signal

    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeoutError(f"test exceeded {TEST_TIMEOUT}s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TEST_TIMEOUT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def cli(name: str, module_fallback: list[str]) -> list[str]:
    """Path of a console script installed next to this Python, else a fallback."""
    import shutil

    here = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(here):
        return [here]
    found = shutil.which(name)
    if found:
        return [found]
    return [sys.executable, *module_fallback]


def ecs_deploy_cmd() -> list[str]:
    return cli("ecs", ["-c", "import sys; from ecs_deploy.cli import ecs; sys.exit(ecs())"])


def aws_cmd() -> list[str]:
    return cli("aws", ["-m", "awscli"])
