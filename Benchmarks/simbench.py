"""What the deployment benchmarks share: the simulator, its worlds, our deployments, the peers' commands, and figures.

    sim = Simulator(fleet, time_scale=1)          # awssim on a free port, stopped with the fleet
    world = sim.seed("c1")                         # the tutorial's world (cluster, VPC, ALB, target groups)
    ours = deploy_ours(fleet, sim, world, "nginx:1", lb=True)
    sim.steady_at(world, "myapp", after=t0)        # when the simulator said "has reached a steady state."

Nothing here asserts; every figure is printed by the benchmark that measures it.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from fleet import ROOT, http

SIM = os.path.join(ROOT, "tools", "awssim")
MANIFESTS = os.path.join(ROOT, "Tests", "ManifestsTests", "Fixtures")


def console(name, module_fallback):
    """A console script next to this Python, else on PATH, else `python -c/-m` (fallback)."""
    here = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(here):
        return [here]
    found = shutil.which(name)
    return [found] if found else [sys.executable, *module_fallback]


def ecs_cmd():
    """fabfuel's `ecs` (ecs-deploy)."""
    return console("ecs", ["-c", "import sys; from ecs_deploy.cli import ecs; sys.exit(ecs())"])


def aws_cmd():
    """The AWS CLI (awscli from PyPI, pinned in tools/awssim/requirements.txt)."""
    return console("aws", ["-m", "awscli"])


def aws_env(endpoint):
    """The environment an AWS SDK or CLI needs to talk to the simulator."""
    return {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_PAGER": ""}


def proc_status(pid):
    """VmRSS and VmHWM (peak) of a process in MiB, and its CPU seconds (user+system)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0]) / 1024
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out["cpu_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        pass
    return out


def emit(out, path=None):
    """Prints a benchmark's figures as JSON and, with `path`, writes them there too."""
    text = json.dumps(out, indent=2)
    print(text)
    if path:
        with open(path, "w") as fh:
            fh.write(text)


def loadavg():
    """The 1-minute load average: how busy the shared machine was."""
    return round(os.getloadavg()[0], 2)


def spread(values):
    """Median, min and max of a list of numbers (None when empty)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3), "n": len(values)}


def percentile(values, p):
    """The p-th percentile (nearest rank) of a list of numbers."""
    values = sorted(values)
    if not values:
        return None
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


class Simulator:
    """awssim on a free loopback port, owned by `fleet` (stopped with it)."""

    def __init__(self, fleet, time_scale):
        self.proc = fleet.own(subprocess.Popen(
            [sys.executable, "-m", "awssim", "--port", "0", "--quiet", "--time-scale", str(time_scale)],
            cwd=SIM, env={**os.environ, "PYTHONPATH": SIM}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
        self.endpoint = json.loads(self.proc.stdout.readline())["endpoint"]
        self.time_scale = time_scale

    def control(self, method, path, body=None):
        return http(method, self.endpoint + path, body)

    def seed(self, cluster="ecs-tutorial"):
        return self.control("POST", "/_awssim/seed", {"cluster": cluster})

    def calls(self):
        """DescribeServices and every other call since the last reset, by operation."""
        return self.control("GET", "/_awssim/calls")

    def reset_calls(self):
        self.control("DELETE", "/_awssim/calls")

    def boto(self, service):
        import boto3
        return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                     region_name="us-east-1").client(service, endpoint_url=self.endpoint)

    def steady_at(self, world, service, after):
        """The time (epoch) of the first "has reached a steady state." event at or after `after`, else None."""
        s = self.boto("ecs").describe_services(cluster=world["cluster"], services=[service])["services"]
        times = [e["createdAt"].timestamp() for e in (s[0]["events"] if s else [])
                 if "has reached a steady state" in e["message"] and e["createdAt"].timestamp() >= after - 0.001]
        return min(times) if times else None

    def set_deregistration_delay(self, world, seconds):
        """The target group attribute a user sets, and the simulator's drain to match it."""
        self.boto("elbv2").modify_target_group_attributes(
            TargetGroupArn=world["prodTargetGroupArn"],
            Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": str(int(seconds))}])
        self.control("POST", "/_awssim/config", {"deregistrationDelaySeconds": seconds})


def manifest(name, world, edit=lambda s: s):
    """A tutorial manifest with the world's placeholders filled in, as an inline manifest reference."""
    with open(os.path.join(MANIFESTS, name)) as f:
        text = f.read()
    text = (text.replace("<ecsInstanceRole Role ARN>", "arn:aws:iam::123456789012:role/ecsInstanceRole")
            .replace("<Security Group Id>", world["securityGroupId"]).replace("<Subnet Id>", world["subnets"][0]))
    return {"store": "inline", "identifier": name, "path": "account:/ECS Tutorial/" + name, "content": edit(text)}


def service_edit(world, desired=2, lb=False, name=None):
    """An edit of the tutorial's service manifest: desired count, the prod target group, another name."""
    def edit(text):
        text = text.replace("desiredCount: 1", f"desiredCount: {desired}")
        if name:
            text = text.replace("serviceName: myapp", f"serviceName: {name}")
        if lb:
            text += ("\nloadBalancers:\n- targetGroupArn: " + world["prodTargetGroupArn"] +
                     "\n  containerName: nginx\n  containerPort: 80\n")
        return text
    return edit


def connector(sim):
    return {"aws": {"region": "us-east-1", "endpoint": sim.endpoint,
                    "credentials": {"kind": "static", "accessKeyId": "testing", "secretAccessKey": "testing"}}}


def submit_ours(fleet, sim, world, image, execution, desired=2, lb=False, name=None):
    """Submits `ecs.rolling.deploy` of `image`; returns the task id."""
    payload = {"cluster": world["cluster"], "variables": {"artifact": {"image": image}},
               "manifests": {"taskDefinition": manifest("RegisterTaskDefinitionRequest.yaml", world),
                             "serviceDefinition": manifest("CreateServiceRequest.yaml", world, service_edit(world, desired, lb, name))}}
    return fleet.call("POST", "/v1/tasks", {"type": "ecs.rolling.deploy", "selectors": ["ecs"], "payload": payload,
                                           "executionId": execution, "connector": connector(sim)})["taskId"]


def epoch(t):
    """A time from the manager (ISO 8601 or epoch seconds) as epoch seconds."""
    if isinstance(t, (int, float)):
        return float(t)
    import datetime
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()


def await_tasks(fleet, ids, timeout, interval=0.02):
    """Polls the manager until every task ended; returns {id: (info, end time (epoch): the manager's finishedAt)}."""
    done = {}
    deadline = time.monotonic() + timeout
    while len(done) < len(ids) and time.monotonic() < deadline:
        for i in ids:
            if i in done:
                continue
            info = fleet.call("GET", f"/v1/tasks/{i}")
            if info["state"] in ("succeeded", "failed", "cancelled", "rejected"):
                done[i] = (info, epoch(info["finishedAt"]) if info.get("finishedAt") is not None else time.time())
        time.sleep(interval)
    return done


def deploy_ours(fleet, sim, world, image, execution, timeout=900, **kw):
    """One deployment through manager + delegate; returns (info, wall seconds, end time (epoch))."""
    t0 = time.perf_counter()
    tid = submit_ours(fleet, sim, world, image, execution, **kw)
    info, ended = await_tasks(fleet, [tid], timeout)[tid]
    return info, time.perf_counter() - t0, ended



def run_many(cmds, env, timeout):
    """Runs the commands at once; returns, in order, (exit code, wall seconds, end time (epoch), peak RSS MiB) of each."""
    t0 = time.perf_counter()
    procs = [subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for c in cmds]
    results = [None] * len(procs)
    deadline = time.monotonic() + timeout
    while any(r is None for r in results):
        for i, p in enumerate(procs):
            if results[i] is not None:
                continue
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                p.returncode = os.waitstatus_to_exitcode(status)
                results[i] = (p.returncode, time.perf_counter() - t0, time.time(), usage.ru_maxrss / 1024)
            elif time.monotonic() > deadline:
                p.kill()
                p.wait()
                results[i] = (-9, time.perf_counter() - t0, time.time(), 0.0)
        time.sleep(0.005)
    return results
