"""Image faults: what a task's images do wrong.

The rules themselves are plain data in config.py (`ImageRule`); this module applies them:
how a task starts and exits is decided once, when the task is created
(`FaultsMixin._apply_image_faults`); how a RUNNING task answers HTTP through a load
balancer, and so its target health, is decided per request by the rule that matches
the image at that moment (`http_answer`, `target_health`): a rule added later breaks
the tasks already running that image, as a rule about the image should.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING

from moto.ecs.models import Task

from .config import ImageRule, Settings

if TYPE_CHECKING:
    from .ecs_sim import Simulator


class FaultsMixin:
    """Simulator methods that apply image fault rules."""

    def _apply_image_faults(self: "Simulator", task: Task) -> None:
        """Fault rules, evaluated once per task at creation."""
        sim = task._awssim
        start_delay = self.settings.get("taskStartDelaySeconds")
        exit_after: float | None = None
        for c in task.containers:
            rule: ImageRule | None = self.settings.image_rule(c["image"] or "")
            if rule is None:
                continue
            start_delay = max(start_delay, self.settings.get("taskStartDelaySeconds")
                              + rule.start_delay_seconds)
            if rule.fail_to_start and sim.fail_reason is None:
                sim.fail_reason = rule.reason or (
                    "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                    f"failed to resolve ref {c['image']}: {c['image']}: not found"
                )
            if rule.exit_code is not None or rule.run_seconds is not None:
                sim.exit_codes[c["name"]] = rule.exit_code if rule.exit_code is not None else 0
                if c["_essential"]:
                    run = rule.run_seconds if rule.run_seconds is not None else (
                        self.settings.get("runTaskSeconds"))
                    exit_after = run if exit_after is None else min(exit_after, run)
        sim.start_delay = start_delay
        sim.exit_after = exit_after


@dataclass
class HttpAnswer:
    status: int
    body: bytes
    content_type: str
    latency_ms: float = 0.0


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def http_rule(settings: Settings, image: str) -> ImageRule | None:
    """The image's rule (first match, as at task creation), if it says anything about HTTP."""
    rule = settings.image_rule(image or "")
    return rule if rule is not None and rule.has_http else None


def http_answer(settings: Settings, image: str, ok: dict[str, object]) -> HttpAnswer:
    """How a RUNNING container with `image` answers one request; `ok` is its healthy JSON body.

    With `httpErrorRatio` r, request n (counted per rule from 0) is answered with the fault
    when floor((n + 1) r) > floor(n r): exactly r of every 1/r requests, spread evenly, so
    tests see the ratio without chance. Without it every request gets the rule's answer.
    """
    normal = HttpAnswer(200, (json.dumps(ok) + "\n").encode(), "application/json")
    with settings.lock:
        rule = http_rule(settings, image)
        if rule is None:
            return normal
        faulty = True
        if rule.http_error_ratio is not None:
            n = rule.http_requests
            faulty = math.floor((n + 1) * rule.http_error_ratio) > math.floor(n * rule.http_error_ratio)
        rule.http_requests += 1
    normal.latency_ms = rule.latency_ms
    if not faulty or (rule.http_status is None and rule.http_body is None
                      and rule.http_error_ratio is None):
        return normal
    status = rule.http_status if rule.http_status is not None else (
        500 if rule.http_error_ratio is not None else 200)
    if rule.http_body is not None:
        return HttpAnswer(status, rule.http_body.encode(), "text/plain; charset=utf-8", rule.latency_ms)
    if 200 <= status < 300:
        return HttpAnswer(status, normal.body, normal.content_type, rule.latency_ms)
    body = f"{status} {_reason(status)} (image {image})\n"
    return HttpAnswer(status, body.encode(), "text/plain; charset=utf-8", rule.latency_ms)


def target_health(settings: Settings, image: str, timeout_seconds: float) -> tuple[str, str | None, str | None]:
    """(State, Reason, Description) of a registered, RUNNING target with `image`, for
    DescribeTargetHealth and for routing: `unhealthy` when every answer is a status outside
    200-399 (a rule with `httpStatus` and no `httpErrorRatio`, or a ratio of 1), or when the
    latency reaches the target group's health check timeout; otherwise `healthy` (a target
    failing a fraction of requests passes most health checks, as an ALB's would).
    """
    with settings.lock:
        rule = http_rule(settings, image)
    if rule is None:
        return "healthy", None, None
    always = rule.http_error_ratio is None or rule.http_error_ratio >= 1
    status = rule.http_status if rule.http_status is not None else (
        500 if rule.http_error_ratio is not None else 200)
    if always and not 200 <= status < 400:
        return ("unhealthy", "Target.ResponseCodeMismatch",
                f"Health checks failed with these codes: [{status}]")
    if rule.latency_ms >= timeout_seconds * 1000:
        return "unhealthy", "Target.Timeout", "Request timed out"
    return "healthy", None, None
