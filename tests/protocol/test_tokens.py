"""Tokens, scopes and the audit trail answer as docs/openapi.yaml says (statuses 401/403 included), against a real `ecs-manager`."""
import tempfile

import pytest

from manager_process import start_manager
from test_openapi import check


@pytest.fixture
def manager():
    with tempfile.TemporaryDirectory() as tmp:
        m = start_manager(tmp)
        yield m
        m.stop()


def test_tokens_scopes_revocation_and_audit_answer_as_documented(manager):
    m = manager
    s, b = m.call("post", "/v1/tokens", {"name": "reader", "kind": "api", "scope": "read"}); check("/v1/tokens", "post", s, b); assert s == 201
    reader = b["token"]
    assert reader.startswith("ecsm_") and b["info"] == {"name": "reader", "kind": "api", "scope": "read", "createdAt": b["info"]["createdAt"]}
    s, b = m.call("post", "/v1/tokens", {"name": "dev", "kind": "delegate", "allowedTags": ["dev"]}); check("/v1/tokens", "post", s, b); assert s == 201
    dev = b["token"]
    s, b = m.call("post", "/v1/tokens", {"name": "reader", "kind": "api", "scope": "run"}); check("/v1/tokens", "post", s, b); assert s == 409
    s, b = m.call("post", "/v1/tokens", {"name": "x", "kind": "api"}); check("/v1/tokens", "post", s, b); assert s == 400
    assert "member 'scope' is required" in b["error"]["message"]

    s, b = m.call("get", "/v1/tasks", token=reader); check("/v1/tasks", "get", s, b); assert s == 200
    s, b = m.call("post", "/v1/tasks", {"type": "delegate.echo", "selectors": [], "payload": {}}, token=reader)
    check("/v1/tasks", "post", s, b); assert s == 403 and b["error"]["code"] == "forbidden"
    s, b = m.call("get", "/v1/tokens", token=reader); check("/v1/tokens", "get", s, b); assert s == 403
    reg = {"name": "d", "hostname": "h", "version": "0", "tags": ["prod"], "capacity": 1, "taskTypes": ["delegate.echo"], "instanceId": "i-1", "protocolVersion": 1}
    s, b = m.call("post", "/v1/delegates/register", reg, token=dev); check("/v1/delegates/register", "post", s, b)
    assert s == 403 and b["error"]["code"] == "tag_not_allowed"

    s, b = m.call("get", "/v1/tokens"); check("/v1/tokens", "get", s, b)
    assert [t["name"] for t in b] == ["dev", "reader"] and reader not in str(b) and dev not in str(b)
    s, b = m.call("post", "/v1/tokens/reader/revoke"); check("/v1/tokens/{name}/revoke", "post", s, b); assert s == 200 and not b["alreadyRevoked"]
    s, b = m.call("post", "/v1/tokens/nobody/revoke"); check("/v1/tokens/{name}/revoke", "post", s, b); assert s == 404
    s, b = m.call("get", "/v1/tasks", token=reader); check("/v1/tasks", "get", s, b); assert s == 401 and "revoked" in b["error"]["message"]

    s, b = m.call("get", "/v1/audit?since=2000-01-01T00:00:00Z&limit=10"); check("/v1/audit", "get", s, b)
    assert [(e["actor"], e["action"], e["target"]) for e in b] == [
        ("bootstrap", "token.create", "reader"), ("bootstrap", "token.create", "dev"), ("bootstrap", "token.revoke", "reader")]
    s, b = m.call("get", "/v1/audit?since=yesterday"); check("/v1/audit", "get", s, b); assert s == 400
    s, b = m.call("get", "/v1/audit", token=False); check("/v1/audit", "get", s, b); assert s == 401
