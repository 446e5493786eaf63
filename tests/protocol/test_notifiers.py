"""Notifiers and deliveries answer as docs/openapi.yaml says; a notifier's URL and signing secret are checked when it is stored."""
import tempfile

import pytest

from manager_process import secrets_key_file, start_manager
from test_openapi import check

NOTIFIER = {"name": "team", "url": "http://127.0.0.1:9/hook", "events": ["waiting", "failed"], "format": "slack", "secretName": "hook-hmac"}


@pytest.fixture
def keyed():
    with tempfile.TemporaryDirectory() as tmp:
        m = start_manager(tmp, "--secrets-key-file", secrets_key_file(tmp))
        yield m
        m.stop()


def test_notifiers_answer_as_documented(keyed):
    m = keyed
    s, b = m.call("put", "/v1/notifiers/team", NOTIFIER); check("/v1/notifiers/{name}", "put", s, b); assert s == 400
    assert "secret 'hook-hmac', which does not exist" in b["error"]["message"]
    s, b = m.call("put", "/v1/secrets/hook-hmac", {"value": "pytest-hmac-key"}); assert s == 201

    s, b = m.call("put", "/v1/notifiers/team", NOTIFIER); check("/v1/notifiers/{name}", "put", s, b); assert s == 201
    assert b == {"notifier": NOTIFIER, "created": True}
    s, b = m.call("put", "/v1/notifiers/team", dict(NOTIFIER, events=["rolledBack"])); check("/v1/notifiers/{name}", "put", s, b); assert s == 200
    assert b["created"] is False
    s, b = m.call("get", "/v1/notifiers"); check("/v1/notifiers", "get", s, b); assert [n["events"] for n in b] == [["rolledBack"]]

    for bad, words in [(dict(NOTIFIER, url="http://169.254.169.254/latest"), "link-local"),
                       (dict(NOTIFIER, url="file:///etc/passwd"), "url"),
                       (dict(NOTIFIER, events=["deployed"]), "must be one of"),
                       (dict(NOTIFIER, events=[]), "at least one event"),
                       (dict(NOTIFIER, name="other"), "the path names 'team'"),
                       (dict(NOTIFIER, extra=1), "unknown member 'extra'")]:
        s, b = m.call("put", "/v1/notifiers/team", bad); check("/v1/notifiers/{name}", "put", s, b)
        assert s == 400 and words in b["error"]["message"], (bad, b)

    s, b = m.call("get", "/v1/deliveries?limit=10"); check("/v1/deliveries", "get", s, b); assert s == 200 and b == []
    s, b = m.call("get", "/v1/deliveries?limit=0"); check("/v1/deliveries", "get", s, b); assert s == 400
    s, b = m.call("delete", "/v1/notifiers/team"); check("/v1/notifiers/{name}", "delete", s, b); assert s == 200
    s, b = m.call("delete", "/v1/notifiers/team"); check("/v1/notifiers/{name}", "delete", s, b); assert s == 404


def test_a_manager_without_a_secrets_key_refuses_a_signing_notifier():
    with tempfile.TemporaryDirectory() as tmp:
        m = start_manager(tmp)
        try:
            s, b = m.call("put", "/v1/notifiers/team", NOTIFIER); check("/v1/notifiers/{name}", "put", s, b)
            assert s == 409 and b["error"]["code"] == "secrets_disabled"
            s, b = m.call("put", "/v1/notifiers/team", {k: v for k, v in NOTIFIER.items() if k != "secretName"}); assert s == 201
        finally:
            m.stop()
