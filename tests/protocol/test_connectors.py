"""Connectors and secrets answer as docs/openapi.yaml says, and no answer but a lease envelope ever holds a secret value."""
import os
import tempfile

import pytest

from manager_process import secrets_key_file, start_manager
from test_openapi import check

SECRET = "pytest-s3cret-0b7e"
CONNECTOR = {"name": "aws-prod", "type": "aws", "region": "us-east-1", "endpoint": "http://127.0.0.1:4566",
             "credentials": {"kind": "static", "accessKeyIdSecret": "prod-key-id", "secretAccessKeySecret": "prod-secret"},
             "delegateSelectors": ["prod"]}


@pytest.fixture
def keyed():
    with tempfile.TemporaryDirectory() as tmp:
        m = start_manager(tmp, "--secrets-key-file", secrets_key_file(tmp))
        m.tmp = tmp
        yield m
        m.stop()


def test_connectors_and_secrets_answer_as_documented(keyed):
    m = keyed
    s, b = m.call("put", "/v1/secrets/prod-key-id", {"value": "AKIDPYTEST"}); check("/v1/secrets/{name}", "put", s, b); assert s == 201
    s, b = m.call("put", "/v1/secrets/prod-secret", {"value": SECRET}); check("/v1/secrets/{name}", "put", s, b); assert s == 201
    s, b = m.call("put", "/v1/secrets/prod-secret", {"value": SECRET}); check("/v1/secrets/{name}", "put", s, b); assert s == 200
    s, b = m.call("put", "/v1/secrets/x", {"value": ""}); check("/v1/secrets/{name}", "put", s, b); assert s == 400
    s, b = m.call("get", "/v1/secrets"); check("/v1/secrets", "get", s, b); assert [x["name"] for x in b] == ["prod-key-id", "prod-secret"]

    s, b = m.call("put", "/v1/connectors/aws-prod", CONNECTOR); check("/v1/connectors/{name}", "put", s, b); assert s == 201
    s, b = m.call("put", "/v1/connectors/aws-prod", dict(CONNECTOR, extra=1)); check("/v1/connectors/{name}", "put", s, b); assert s == 400
    assert "unknown member 'extra'" in b["error"]["message"]
    s, b = m.call("get", "/v1/connectors/aws-prod"); check("/v1/connectors/{name}", "get", s, b); assert b["delegateSelectors"] == ["prod"]
    s, b = m.call("get", "/v1/connectors"); check("/v1/connectors", "get", s, b); assert len(b) == 1
    s, b = m.call("get", "/v1/connectors/nope"); check("/v1/connectors/{name}", "get", s, b); assert s == 404

    reg = {"name": "dev", "hostname": "h", "version": "0", "tags": ["dev"], "capacity": 2, "taskTypes": ["delegate.echo", "aws.validate"],
           "instanceId": "i-dev", "protocolVersion": 1}
    s, dev = m.call("post", "/v1/delegates/register", reg); assert s == 200
    s, b = m.call("post", "/v1/connectors/aws-prod/test"); check("/v1/connectors/{name}/test", "post", s, b); assert s == 409
    assert "no connected delegate has tag prod" in b["error"]["message"]
    s, b = m.call("post", "/v1/tasks", {"type": "delegate.echo", "selectors": [], "payload": {}, "connectorName": "aws-prod"})
    check("/v1/tasks", "post", s, b); assert s == 201 and b["connectorName"] == "aws-prod" and b["selectors"] == ["prod"]
    tid = b["taskId"]
    s, b = m.call("get", f"/v1/tasks/{tid}"); check("/v1/tasks/{id}", "get", s, b)
    assert b["waitingReason"].startswith("no connected delegate has tag prod")

    s, prod = m.call("post", "/v1/delegates/register", dict(reg, name="prod", tags=["prod"], instanceId="i-prod")); assert s == 200
    s, env = m.call("get", f"/v1/delegates/{prod['delegateId']}/tasks/next?wait=5"); check("/v1/delegates/{id}/tasks/next", "get", s, env)
    assert env["taskId"] == tid and env["secrets"]["prod-secret"] == SECRET
    assert env["connector"]["aws"]["credentials"] == {"kind": "static", "accessKeyId": "AKIDPYTEST", "secretAccessKey": SECRET}
    s, b = m.call("post", "/v1/connectors/aws-prod/test"); check("/v1/connectors/{name}/test", "post", s, b); assert s == 201

    for path in ["/v1/secrets", "/v1/connectors", "/v1/tasks", f"/v1/tasks/{tid}", "/v1/delegates"]:
        s, b = m.call("get", path)
        assert SECRET not in repr(b), path
    s, b = m.call("delete", "/v1/secrets/prod-key-id"); check("/v1/secrets/{name}", "delete", s, b); assert s == 200
    s, b = m.call("delete", "/v1/secrets/prod-key-id"); check("/v1/secrets/{name}", "delete", s, b); assert s == 404
    s, b = m.call("delete", "/v1/connectors/aws-prod"); check("/v1/connectors/{name}", "delete", s, b); assert s == 200
    s, b = m.call("delete", "/v1/connectors/aws-prod"); check("/v1/connectors/{name}", "delete", s, b); assert s == 404

    data = os.path.join(m.tmp, "data")
    for name in os.listdir(data):
        with open(os.path.join(data, name), "rb") as f:
            assert SECRET.encode() not in f.read(), name


def test_without_a_key_file_secrets_are_refused_clearly():
    with tempfile.TemporaryDirectory() as tmp:
        m = start_manager(tmp)
        try:
            s, b = m.call("put", "/v1/secrets/x", {"value": "v"}); check("/v1/secrets/{name}", "put", s, b)
            assert s == 409 and b["error"]["code"] == "secrets_disabled" and "--secrets-key-file" in b["error"]["message"]
            s, b = m.call("get", "/v1/secrets"); check("/v1/secrets", "get", s, b); assert s == 409
        finally:
            m.stop()


def test_a_key_file_others_may_read_is_refused():
    import subprocess
    from manager_process import BIN
    with tempfile.TemporaryDirectory() as tmp:
        key = secrets_key_file(tmp)
        os.chmod(key, 0o644)
        tok = os.path.join(tmp, "token")
        with open(tok, "w") as f:
            f.write("t")
        os.chmod(tok, 0o600)
        r = subprocess.run([os.path.join(BIN, "ecs-manager"), "serve", "--listen", "127.0.0.1:0", "--data", os.path.join(tmp, "d"),
                            "--token-file", tok, "--secrets-key-file", key], capture_output=True, text=True, timeout=30)
        assert r.returncode != 0
        assert "mode 644" in r.stderr and "chmod 600" in r.stderr, r.stderr
