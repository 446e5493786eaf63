"""Simulator settings and fault rules (plain data, validated from JSON)."""

from __future__ import annotations

import fnmatch
import math
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any


class ControlError(ValueError):
    """A bad control request; the message names the offending field."""


# Durations are in ECS seconds (simulated time); the clock maps them to real
# time with the time scale (default 1 ECS second = 0.05 real seconds).
DEFAULT_SETTINGS: dict[str, float] = {
    "provisioningSeconds": 5.0,  # PROVISIONING -> PENDING (ENI attach)
    "pendingSeconds": 10.0,  # PENDING -> RUNNING (image pull, start)
    "taskStartDelaySeconds": 0.0,  # extra PENDING time for every task (fault)
    "runTaskSeconds": 30.0,  # RunTask tasks: essential container exits after
    "deregistrationDelaySeconds": 5.0,  # LB draining before a task stops
    "stoppingSeconds": 3.0,  # DEACTIVATING/STOPPING/DEPROVISIONING total
    "drainingServiceSeconds": 2.0,  # DRAINING service -> INACTIVE after tasks stop
    "stoppedTaskTtlSeconds": 3600.0,  # STOPPED tasks vanish after this
}


def _num(body: dict[str, Any], key: str, lo: float | None = None, hi: float | None = None,
         integer: bool = False, where: str = "") -> Any:
    v = body[key]
    name = f"{where}{key}"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ControlError(f"field '{name}' must be a number, got {type(v).__name__}")
    if integer and int(v) != v:
        raise ControlError(f"field '{name}' must be an integer")
    if lo is not None and v < lo:
        raise ControlError(f"field '{name}' must be >= {lo}")
    if hi is not None and v > hi:
        raise ControlError(f"field '{name}' must be <= {hi}")
    return int(v) if integer else float(v)


def _str(body: dict[str, Any], key: str, where: str = "") -> str:
    v = body[key]
    if not isinstance(v, str) or not v:
        raise ControlError(f"field '{where}{key}' must be a non-empty string")
    return v


def _bool(body: dict[str, Any], key: str, where: str = "") -> bool:
    v = body[key]
    if not isinstance(v, bool):
        raise ControlError(f"field '{where}{key}' must be true or false")
    return v


def _check_keys(body: dict[str, Any], allowed: set[str], where: str = "") -> None:
    if not isinstance(body, dict):
        raise ControlError(f"{where or 'body'} must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ControlError(
            f"unknown field '{where}{unknown[0]}' (allowed: {', '.join(sorted(allowed))})"
        )


@dataclass
class ImageRule:
    """What happens to containers whose image matches `pattern`."""

    pattern: str
    regex: bool = False
    fail_to_start: bool = False
    reason: str | None = None
    exit_code: int | None = None
    run_seconds: float | None = None
    start_delay_seconds: float = 0.0
    # How a RUNNING task with this image answers HTTP through a load balancer
    # (faults.py): this status and body after this latency, on a fraction of
    # the requests when `http_error_ratio` is set.
    http_status: int | None = None
    http_body: str | None = None
    latency_ms: float = 0.0
    http_error_ratio: float | None = None
    http_requests: int = 0  # requests answered under this rule (for the error ratio)
    _compiled: Any = field(default=None, repr=False)

    FIELDS = {"pattern", "regex", "failToStart", "reason", "exitCode", "runSeconds",
              "startDelaySeconds", "httpStatus", "httpBody", "latencyMs", "httpErrorRatio"}

    @classmethod
    def from_json(cls, body: Any, where: str = "") -> "ImageRule":
        _check_keys(body, cls.FIELDS, where)
        if "pattern" not in body:
            raise ControlError(f"field '{where}pattern' is required")
        rule = cls(pattern=_str(body, "pattern", where))
        if "regex" in body:
            rule.regex = _bool(body, "regex", where)
        if "failToStart" in body:
            rule.fail_to_start = _bool(body, "failToStart", where)
        if "reason" in body and body["reason"] is not None:
            rule.reason = _str(body, "reason", where)
        if "exitCode" in body and body["exitCode"] is not None:
            rule.exit_code = _num(body, "exitCode", 0, 255, integer=True, where=where)
        if "runSeconds" in body and body["runSeconds"] is not None:
            rule.run_seconds = _num(body, "runSeconds", 0, where=where)
        if "startDelaySeconds" in body:
            rule.start_delay_seconds = _num(body, "startDelaySeconds", 0, where=where)
        if "httpStatus" in body and body["httpStatus"] is not None:
            rule.http_status = _num(body, "httpStatus", 100, 599, integer=True, where=where)
        if "httpBody" in body and body["httpBody"] is not None:
            if not isinstance(body["httpBody"], str):
                raise ControlError(f"field '{where}httpBody' must be a string")
            rule.http_body = body["httpBody"]
        if "latencyMs" in body:
            rule.latency_ms = _num(body, "latencyMs", 0, 60000, where=where)
        if "httpErrorRatio" in body and body["httpErrorRatio"] is not None:
            rule.http_error_ratio = _num(body, "httpErrorRatio", 0, 1, where=where)
        if rule.regex:
            try:
                rule._compiled = re.compile(rule.pattern)
            except re.error as exc:
                raise ControlError(f"field '{where}pattern' is not a valid regex: {exc}")
        return rule

    def matches(self, image: str) -> bool:
        if self.regex:
            return self._compiled.search(image) is not None
        return fnmatch.fnmatchcase(image, self.pattern)

    def to_json(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "regex": self.regex,
            "failToStart": self.fail_to_start,
            "reason": self.reason,
            "exitCode": self.exit_code,
            "runSeconds": self.run_seconds,
            "startDelaySeconds": self.start_delay_seconds,
            "httpStatus": self.http_status,
            "httpBody": self.http_body,
            "latencyMs": self.latency_ms,
            "httpErrorRatio": self.http_error_ratio,
            "httpRequests": self.http_requests,
        }

    @property
    def has_http(self) -> bool:
        """Whether the rule says anything about the image's HTTP answers."""
        return (self.http_status is not None or self.http_body is not None or self.latency_ms > 0
                or self.http_error_ratio is not None)


@dataclass
class ApiRule:
    """Errors and latency injected in front of moto for matching API calls."""

    service: str = "*"
    operations: list[str] = field(default_factory=list)  # empty = all
    error: str | None = None  # "throttling" | "unavailable" | "internal" | "internalAfter" | None
    rate: float = 1.0
    latency_ms: float = 0.0
    max_count: int | None = None
    injected: int = 0
    # Token bucket (ECS's own throttling model): every matching call takes a token;
    # a call that finds the bucket empty gets `error` (throttling by default).
    # Refilled at `rate_per_second` tokens per real second up to `burst`.
    rate_per_second: float | None = None
    burst: float = 0.0
    tokens: float = 0.0
    refilled_at: float = 0.0
    passed: int = 0

    FIELDS = {"service", "operations", "error", "rate", "latencyMs", "count", "ratePerSecond", "burst"}
    # internal: a 500 InternalError (ServerException for ECS) before the call reaches moto.
    # internalAfter: the call reaches moto and takes effect, then the answer is lost
    # and a 500 InternalError is returned (what a retry must survive).
    ERRORS = ("throttling", "unavailable", "internal", "internalAfter")

    @classmethod
    def from_json(cls, body: Any, where: str = "") -> "ApiRule":
        _check_keys(body, cls.FIELDS, where)
        rule = cls()
        if "service" in body:
            rule.service = _str(body, "service", where)
        if "operations" in body:
            ops = body["operations"]
            if not isinstance(ops, list) or not all(isinstance(o, str) and o for o in ops):
                raise ControlError(f"field '{where}operations' must be a list of operation names")
            rule.operations = list(ops)
        if "error" in body and body["error"] is not None:
            err = body["error"]
            if err not in cls.ERRORS:
                raise ControlError(f"field '{where}error' must be one of {list(cls.ERRORS)} or null")
            rule.error = err
        if "rate" in body:
            rule.rate = _num(body, "rate", 0, 1, where=where)
        if "latencyMs" in body:
            rule.latency_ms = _num(body, "latencyMs", 0, 60000, where=where)
        if "count" in body and body["count"] is not None:
            rule.max_count = _num(body, "count", 1, integer=True, where=where)
        if "burst" in body and "ratePerSecond" not in body:
            raise ControlError(f"field '{where}burst' needs 'ratePerSecond'")
        if "ratePerSecond" in body:
            if "rate" in body:
                raise ControlError(f"fields '{where}rate' and '{where}ratePerSecond' exclude each other "
                                   "(a token bucket throttles by the rate of calls, not by chance)")
            rule.rate_per_second = _num(body, "ratePerSecond", 0.001, 100000, where=where)
            rule.burst = (_num(body, "burst", 1, 1000000, integer=True, where=where) if "burst" in body
                          else max(1, math.ceil(rule.rate_per_second)))
            rule.tokens = float(rule.burst)
            rule.refilled_at = time.monotonic()
            if rule.error is None:
                rule.error = "throttling"
        if rule.error is None and rule.latency_ms == 0:
            raise ControlError(f"rule needs 'error' or 'latencyMs' ({where or 'body'})")
        return rule

    def take_token(self, now: float) -> bool:
        """Token-bucket rules: refills for the time since the last call, then takes a token if there is one.

        Returns whether the call passes (True) or is to get the rule's error. Callers hold the settings lock.
        """
        assert self.rate_per_second is not None
        self.tokens = min(float(self.burst), self.tokens + (now - self.refilled_at) * self.rate_per_second)
        self.refilled_at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            self.passed += 1
            return True
        return False

    def applies(self, service: str, operation: str) -> bool:
        if self.service not in ("*", service):
            return False
        if not self.operations:
            return True
        for op in self.operations:
            if ":" in op:
                svc, name = op.split(":", 1)
                if svc not in ("*", service):
                    continue
            else:
                name = op
            if fnmatch.fnmatchcase(operation, name):
                return True
        return False

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "operations": self.operations,
            "error": self.error,
            "rate": self.rate,
            "latencyMs": self.latency_ms,
            "count": self.max_count,
            "injected": self.injected,
            "ratePerSecond": self.rate_per_second,
            "burst": self.burst if self.rate_per_second is not None else None,
            "passed": self.passed if self.rate_per_second is not None else None,
        }


class Settings:
    """Durations, image rules and API fault rules; guarded by its own lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: dict[str, float] = dict(DEFAULT_SETTINGS)
        self.image_rules: list[ImageRule] = []
        self.api_rules: list[ApiRule] = []
        # Monotonic time until which AWS calls are blackholed (held, then dropped unanswered).
        self.blackhole_until = 0.0
        self.blackholed = 0

    def reset(self) -> None:
        with self.lock:
            self.values = dict(DEFAULT_SETTINGS)
            self.image_rules = []
            self.api_rules = []
            self.blackhole_until = 0.0
            self.blackholed = 0

    def start_blackhole(self, body: Any) -> float:
        """Blackholes AWS calls for `seconds` real seconds from now (0 ends one); returns the seconds."""
        _check_keys(body, {"seconds"})
        if "seconds" not in body:
            raise ControlError("field 'seconds' is required")
        seconds = _num(body, "seconds", 0, 600)
        with self.lock:
            self.blackhole_until = time.monotonic() + seconds
        return seconds

    def blackhole_left(self) -> float:
        """Real seconds the blackhole still lasts (0: none)."""
        with self.lock:
            return max(0.0, self.blackhole_until - time.monotonic())

    def update(self, body: Any) -> None:
        _check_keys(body, set(DEFAULT_SETTINGS) | {"timeScale"})
        new = {}
        for key in body:
            if key == "timeScale":
                continue
            new[key] = _num(body, key, 0)
        with self.lock:
            self.values.update(new)

    def get(self, key: str) -> float:
        return self.values[key]

    def image_rule(self, image: str) -> ImageRule | None:
        for rule in self.image_rules:
            if rule.matches(image or ""):
                return rule
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "settings": dict(self.values),
            "images": [r.to_json() for r in self.image_rules],
            "api": [r.to_json() for r in self.api_rules],
            "blackhole": {"secondsLeft": round(self.blackhole_left_unlocked(), 3), "dropped": self.blackholed},
        }

    def blackhole_left_unlocked(self) -> float:
        return max(0.0, self.blackhole_until - time.monotonic())
