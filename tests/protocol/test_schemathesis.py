"""schemathesis against docs/openapi.yaml and a live `ecs-manager`: no 5xx, every answer as documented.

Generated requests (valid and invalid per the document) go to a real manager on
127.0.0.1, each sent twice: with the token, where every answer must be a
documented status with a conforming body and invalid input must be refused
with a 4xx; and without it, where every answer must be the documented 401.
Bounded: a fixed number of examples per operation, long-poll waits capped, and
an overall time budget.
"""
import os
import tempfile
import time

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from schemathesis.core.parameters import ParameterLocation

from manager_process import SPEC_PATH, secrets_key_file, start_manager

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "80"))
BUDGET_SECONDS = float(os.environ.get("SCHEMATHESIS_BUDGET_SECONDS", "75"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_path(SPEC_PATH)
with open(SPEC_PATH) as _spec:
    # Operations the document marks `security: []` (the health probes) answer without a token.
    PUBLIC = {(method.upper(), path) for path, item in yaml.safe_load(_spec)["paths"].items()
              for method, op in item.items() if isinstance(op, dict) and op.get("security") == []}
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES)


@pytest.fixture(scope="module")
def live():
    """One manager for the whole module, with secrets on and a registered delegate so `delegate.echo` is a known type."""
    with tempfile.TemporaryDirectory() as tmp:
        m = start_manager(tmp, "--poll-wait-seconds", "1", "--secrets-key-file", secrets_key_file(tmp))
        reg = {"name": "fuzz", "hostname": "h", "version": "0", "tags": ["a"], "capacity": 2, "taskTypes": ["delegate.echo"],
               "instanceId": "i-fuzz", "protocolVersion": 1}
        status, _ = m.call("post", "/v1/delegates/register", reg)
        assert status == 200
        m.started = time.monotonic()
        yield m
        m.stop()
        assert m.proc.returncode == 0, "the manager did not exit cleanly on SIGTERM"


def body_only_invalid(case):
    """Whether the case breaks the document in its body alone: then the manager must refuse it.

    Unknown query parameters and headers are ignored, as HTTP servers do, so a
    case that is invalid only there may be answered 200.
    """
    meta = case.meta
    if meta is None or not meta.is_negative_at(ParameterLocation.BODY):
        return False
    return not any(meta.is_negative_at(where) for where in (ParameterLocation.QUERY, ParameterLocation.HEADER, ParameterLocation.PATH))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_generated_request_is_answered_as_documented(case, live):
    if time.monotonic() - live.started > BUDGET_SECONDS:
        pytest.skip("time budget spent")
    # Long polls and log follows would hold a worker for up to two minutes: a short wait exercises the same code.
    if case.query and "wait" in case.query:
        wait = case.query["wait"]
        if isinstance(wait, (int, float)) and not isinstance(wait, bool) and wait > 0.2:
            case.query["wait"] = 0.2
    checks = CHECKS + ([negative_data_rejection] if body_only_invalid(case) else [])
    case.call_and_validate(base_url=live.base, headers={"Authorization": f"Bearer {live.token}"}, checks=checks, timeout=10)
    anonymous = case.call(base_url=live.base, headers={"Authorization": "Bearer not-the-token"}, timeout=10)
    if (case.method.upper(), case.path) in PUBLIC:
        assert anonymous.status_code in (200, 503), f"{case.method} {case.formatted_path}: {anonymous.status_code} for a public probe"
    else:
        assert anonymous.status_code == 401, f"{case.method} {case.formatted_path}: {anonymous.status_code} without the token"
    case.validate_response(anonymous, checks=CHECKS)
