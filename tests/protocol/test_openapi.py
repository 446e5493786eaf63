"""The reference manager answers exactly as docs/openapi.yaml says.

Starts the real `ecs-manager` binary on loopback, walks every call of the
protocol (including the error answers), and validates each status code and
body against the OpenAPI document.
"""
import copy
import json
import os
import socket
import tempfile

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from manager_process import SPEC_PATH, start_manager


def load_spec():
    with open(SPEC_PATH) as f:
        return yaml.safe_load(f)


SPEC = load_spec()
REGISTRY = Registry().with_resource("urn:spec", Resource.from_contents(SPEC, default_specification=DRAFT202012))


def pointer(doc, ref):
    node = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def absolutize(schema):
    if isinstance(schema, dict):
        return {k: ("urn:spec" + v if k == "$ref" and v.startswith("#") else absolutize(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [absolutize(v) for v in schema]
    return schema


def check(path, method, status, body):
    """Asserts that `status` is documented for the call and `body` matches its schema."""
    op = SPEC["paths"][path][method]
    responses = op["responses"]
    assert str(status) in responses, f"{method.upper()} {path}: status {status} is not documented"
    resp = responses[str(status)]
    if "$ref" in resp:
        resp = pointer(SPEC, resp["$ref"])
    content = resp.get("content")
    if content is None:
        assert body in (None, b"", ""), f"{method.upper()} {path} {status}: expected no body"
        return
    schema = absolutize(copy.deepcopy(content["application/json"]["schema"]))
    errors = sorted(Draft202012Validator(schema, registry=REGISTRY).iter_errors(body), key=str)
    assert not errors, f"{method.upper()} {path} {status}: " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


@pytest.fixture
def manager():
    with tempfile.TemporaryDirectory() as tmp:
        m = start_manager(tmp)
        yield m
        m.stop()


def test_the_document_is_valid_openapi():
    validate_spec(load_spec())


def test_every_call_answers_as_documented(manager):
    m = manager
    s, b = m.call("get", "/v1/health"); check("/v1/health", "get", s, b); assert s == 200

    s, b = m.call("get", "/v1/tasks", token=False); check("/v1/tasks", "get", s, b); assert s == 401
    s, b = m.call("post", "/v1/tasks", {"type": "delegate.echo", "selectors": [], "payload": {}}, token="wrong")
    check("/v1/tasks", "post", s, b); assert s == 401

    reg = {"name": "d1", "hostname": "h", "version": "0", "tags": ["a"], "capacity": 2, "taskTypes": ["delegate.echo"],
           "instanceId": "i-1", "protocolVersion": 1}
    s, b = m.call("post", "/v1/delegates/register", reg); check("/v1/delegates/register", "post", s, b); assert s == 200
    did = b["delegateId"]
    s, b = m.call("post", "/v1/delegates/register", {"name": "d1"}); check("/v1/delegates/register", "post", s, b); assert s == 400
    assert "hostname" in b["error"]["message"]

    s, b = m.call("get", f"/v1/delegates/{did}/tasks/next?wait=0.2"); check("/v1/delegates/{id}/tasks/next", "get", s, b); assert s == 204
    s, b = m.call("get", "/v1/delegates/nope/tasks/next?wait=0"); check("/v1/delegates/{id}/tasks/next", "get", s, b); assert s == 404

    s, b = m.call("post", "/v1/tasks", {"type": "delegate.echo", "selectors": ["a"], "payload": {"count": 1}, "secrets": {"pw": "s3cret-value"}})
    check("/v1/tasks", "post", s, b); assert s == 201
    tid = b["taskId"]
    s, b = m.call("post", "/v1/tasks", {"selectors": []}); check("/v1/tasks", "post", s, b); assert s == 400

    s, env = m.call("get", f"/v1/delegates/{did}/tasks/next?wait=5"); check("/v1/delegates/{id}/tasks/next", "get", s, env); assert s == 200
    assert env["taskId"] == tid and env["secrets"] == {"pw": "s3cret-value"}

    hb = {"running": [{"taskId": tid, "leaseId": env["leaseId"]}], "freeCapacity": 1, "status": "active"}
    s, b = m.call("post", f"/v1/delegates/{did}/heartbeat", hb); check("/v1/delegates/{id}/heartbeat", "post", s, b); assert b["renewed"] == [tid]
    s, b = m.call("post", "/v1/delegates/nope/heartbeat", hb); check("/v1/delegates/{id}/heartbeat", "post", s, b); assert s == 404

    line = {"seq": 1, "time": "2026-11-27T10:00:00.000Z", "level": "info", "unit": "Echo", "text": "hello"}
    s, b = m.call("post", f"/v1/tasks/{tid}/logs", {"leaseId": env["leaseId"], "lines": [line]}); check("/v1/tasks/{id}/logs", "post", s, b)
    assert b == {"ackedThroughSeq": 1, "cancel": False}
    s, b = m.call("post", f"/v1/tasks/{tid}/logs", {"leaseId": "other", "lines": [line]}); check("/v1/tasks/{id}/logs", "post", s, b); assert s == 409
    s, b = m.call("post", "/v1/tasks/nope/logs", {"leaseId": "x", "lines": []}); check("/v1/tasks/{id}/logs", "post", s, b); assert s == 404
    s, b = m.call("post", f"/v1/tasks/{tid}/logs", raw=b"{oops"); check("/v1/tasks/{id}/logs", "post", s, b); assert s == 400
    s, b = m.call("get", f"/v1/tasks/{tid}/logs?after=0"); check("/v1/tasks/{id}/logs", "get", s, b); assert [l["text"] for l in b["lines"]] == ["hello"]

    result = {"leaseId": env["leaseId"], "status": "succeeded", "outputs": {"lines": 1}}
    s, b = m.call("post", f"/v1/tasks/{tid}/result", result); check("/v1/tasks/{id}/result", "post", s, b); assert s == 200
    s, b = m.call("post", f"/v1/tasks/{tid}/result", result); check("/v1/tasks/{id}/result", "post", s, b); assert s == 200
    s, b = m.call("post", f"/v1/tasks/{tid}/result", dict(result, leaseId="other")); check("/v1/tasks/{id}/result", "post", s, b); assert s == 409

    s, b = m.call("get", f"/v1/tasks/{tid}"); check("/v1/tasks/{id}", "get", s, b); assert b["state"] == "succeeded" and b["logLines"] == 1
    s, b = m.call("get", "/v1/tasks/nope"); check("/v1/tasks/{id}", "get", s, b); assert s == 404
    s, b = m.call("post", "/v1/tasks", {"type": "delegate.echo", "selectors": ["zzz"], "payload": {}}); queued = b["taskId"]
    s, b = m.call("get", "/v1/tasks"); check("/v1/tasks", "get", s, b)
    assert next(t for t in b if t["taskId"] == queued)["waitingReason"]
    s, b = m.call("post", f"/v1/tasks/{queued}/cancel"); check("/v1/tasks/{id}/cancel", "post", s, b); assert s == 200
    s, b = m.call("post", f"/v1/tasks/{queued}/cancel"); check("/v1/tasks/{id}/cancel", "post", s, b); assert s == 409
    assert b["error"]["code"] == "already_finished" and b["error"]["message"].endswith("already finished: cancelled")
    s, b = m.call("post", f"/v1/tasks/{tid}/cancel"); check("/v1/tasks/{id}/cancel", "post", s, b); assert s == 409
    s, b = m.call("post", "/v1/tasks", {"type": "no.such.type", "selectors": [], "payload": {}}); check("/v1/tasks", "post", s, b); assert s == 400
    assert "unknown task type 'no.such.type'" in b["error"]["message"] and "delegate.echo" in b["error"]["message"]
    s, b = m.call("post", "/v1/tasks", raw=b'{"type": "delegate.echo", "selectors": [], "payload": {}, "timeoutSeconds": 1e20}')
    check("/v1/tasks", "post", s, b); assert s == 400 and "member 'timeoutSeconds' is out of range" in b["error"]["message"]
    s, b = m.call("post", "/v1/delegates/register", dict(reg, name="a\nb", instanceId="i-2")); check("/v1/delegates/register", "post", s, b); assert s == 400
    s, b = m.call("post", "/v1/tasks/nope/cancel"); check("/v1/tasks/{id}/cancel", "post", s, b); assert s == 404

    s, b = m.call("get", "/v1/delegates"); check("/v1/delegates", "get", s, b); assert b[0]["state"] == "connected"
    s, b = m.call("post", f"/v1/delegates/{did}/unregister", {"reason": "test"}); check("/v1/delegates/{id}/unregister", "post", s, b); assert s == 200
    s, b = m.call("get", "/v1/delegates"); check("/v1/delegates", "get", s, b); assert b[0]["state"] == "unregistered"


def test_a_body_declared_over_the_limit_is_refused_at_once(manager):
    """`Content-Length: 999999999999` is answered 413 from the headers alone, not after waiting for the body."""
    host, port = manager.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall((f"POST /v1/tasks HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {manager.token}\r\n"
                      "Content-Type: application/json\r\nContent-Length: 999999999999\r\n\r\n{").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)  # a manager that waits for the body times this out (socket.timeout fails the test)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b"too_large" in body or b"content-length" in head.lower()
