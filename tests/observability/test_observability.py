"""Config/observability against real tools: promtool checks and unit-tests the alert rules, and Debian's
Prometheus scrapes a real manager and delegate on loopback; the test reads a deployment's series through
Prometheus's HTTP API and checks that every series the Grafana dashboard uses exists."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "protocol"))
from manager_process import BIN, ROOT, start_manager  # noqa: E402

OBS = os.path.join(ROOT, "Config", "observability")


def tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install Debian's prometheus package (scripts/install-deps.sh does)")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_alert_rules_are_valid_and_fire_on_synthetic_series():
    check = subprocess.run([tool("promtool"), "check", "rules", os.path.join(OBS, "alerts.yml")], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 6 rules found" in check.stdout, check.stdout
    tested = subprocess.run([tool("promtool"), "test", "rules", "alerts-test.yml"], cwd=OBS, capture_output=True, text=True, timeout=120)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout, tested.stdout


def metric_names(expr):
    """The ecs_* series an expression reads, histogram and counter suffixes kept as written."""
    return set(re.findall(r"\b(ecs_(?:delegate|manager)_[a-z0-9_]+)", expr))


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.status, resp.read().decode()


def test_prometheus_scrapes_both_daemons_and_reads_a_deployments_series(tmp_path):
    prometheus = tool("prometheus")
    tmp = str(tmp_path)
    manager_metrics = free_port()
    manager = start_manager(tmp, "--metrics-listen", f"127.0.0.1:{manager_metrics}")
    delegate_metrics = free_port()
    tokfile = os.path.join(tmp, "token")
    config = os.path.join(tmp, "delegate.yaml")
    with open(config, "w") as f:
        f.write(f"manager_url: {manager.base}\ntoken_file: {tokfile}\nname: scraped\ntags: [obs]\nstate_dir: {tmp}/state\n"
                f"status_socket: {tmp}/status.sock\nmetrics_listen: 127.0.0.1:{delegate_metrics}\n")
    delegate_log = open(os.path.join(tmp, "delegate.log"), "w")
    delegate = subprocess.Popen([os.path.join(BIN, "ecs-delegate"), "run", "--config", config], stdout=delegate_log, stderr=delegate_log)
    prom_port = free_port()
    with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: ecs-manager
    static_configs: [{{targets: ['127.0.0.1:{manager_metrics}']}}]
  - job_name: ecs-delegate
    static_configs: [{{targets: ['127.0.0.1:{delegate_metrics}']}}]
""")
    prom_log = open(os.path.join(tmp, "prometheus.log"), "w")
    prom = subprocess.Popen([prometheus, f"--config.file={tmp}/prometheus.yml", f"--storage.tsdb.path={tmp}/tsdb",
                             f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"], stdout=prom_log, stderr=prom_log)
    api = f"http://127.0.0.1:{prom_port}/api/v1"

    def query(promql):
        _, body = get(f"{api}/query?" + urllib.parse.urlencode({"query": promql}))
        return json.loads(body)["data"]["result"]

    try:
        # The delegate registers; a task runs on it.
        deadline = time.time() + 60
        while time.time() < deadline:
            status, delegates = manager.call("GET", "/v1/delegates")
            if status == 200 and any(d["state"] == "connected" for d in delegates):
                break
            time.sleep(0.2)
        status, task = manager.call("POST", "/v1/tasks", {"type": "delegate.echo", "selectors": ["obs"], "payload": {"count": 3}})
        assert status == 201, task
        deadline = time.time() + 60
        while time.time() < deadline and manager.call("GET", f"/v1/tasks/{task['taskId']}")[1]["state"] != "succeeded":
            time.sleep(0.2)
        # An execution (executions' series) and an AWS call that finds no AWS (the AWS attempt series, outcome connect).
        status, body = manager.call("PUT", "/v1/connectors/aws-none", {"name": "aws-none", "type": "aws", "region": "us-east-1", "credentials": {"kind": "delegate"}})
        assert status in (200, 201), body
        plan = {"pipeline": "p", "connector": "aws-none", "timeoutSeconds": 60,
                "steps": [{"id": "p/echo", "name": "Echo", "type": "delegate.echo", "payload": {"count": 1}}]}
        status, execution = manager.call("POST", "/v1/executions", {"plan": plan})
        assert status == 201, execution
        unreachable = {"aws": {"region": "us-east-1", "endpoint": "http://127.0.0.1:1",
                               "credentials": {"kind": "static", "accessKeyId": "AKIDOBSERVABILITY", "secretAccessKey": "not-a-secret"}}}
        status, validate = manager.call("POST", "/v1/tasks", {"type": "aws.validate", "selectors": ["obs"], "payload": {}, "connector": unreachable, "timeoutSeconds": 120})
        assert status == 201, validate
        deadline = time.time() + 120
        while time.time() < deadline and (manager.call("GET", f"/v1/executions/{execution['executionId']}")[1]["phase"] != "succeeded"
                                          or manager.call("GET", f"/v1/tasks/{validate['taskId']}")[1]["state"] not in ("failed", "succeeded")):
            time.sleep(0.5)
        # Prometheus sees both targets up and the task in each daemon's series.
        found = {}
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                found = {
                    "up": {r["metric"]["job"]: r["value"][1] for r in query("up")},
                    "delegate": query('ecs_delegate_tasks_total{type="delegate.echo",outcome="succeeded"}'),
                    "manager": query('ecs_manager_tasks{type="delegate.echo",state="succeeded"}'),
                    "connected": query("ecs_delegate_connected"),
                }
            except (OSError, KeyError, ValueError):
                found = {}
            if found and found["up"] == {"ecs-manager": "1", "ecs-delegate": "1"} and [r["value"][1] for r in found["delegate"]] == ["2"] and found["manager"]:
                break
            time.sleep(1)
        assert found.get("up") == {"ecs-manager": "1", "ecs-delegate": "1"}, found
        # Two echo tasks: the one submitted, and the execution's step.
        assert [r["value"][1] for r in found["delegate"]] == ["2"], found
        assert [r["value"][1] for r in found["manager"]] == ["2"], found
        assert [r["value"][1] for r in found["connected"]] == ["1"], found

        # Every series the dashboard draws is one the daemons export.
        with open(os.path.join(OBS, "grafana-dashboard.json")) as f:
            dashboard = json.load(f)
        used = set()
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                used |= metric_names(target["expr"])
        assert len(used) >= 10, used
        deadline = time.time() + 30
        while True:
            _, body = get(f"{api}/label/__name__/values")
            missing = sorted(used - set(json.loads(body)["data"]))
            if not missing or time.time() > deadline:
                break
            time.sleep(1)
        assert missing == [], f"the dashboard uses series no daemon exports: {missing}"
    finally:
        prom.terminate()
        delegate.terminate()
        for p in (prom, delegate):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        manager.stop()
        prom_log.close()
        delegate_log.close()
