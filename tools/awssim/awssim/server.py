"""The HTTP endpoint: moto's WSGI app behind call counting, faults and /_awssim routes."""

from __future__ import annotations

import io
import json
import os
import random
import re
import socket
import struct
import threading
import time
import uuid
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from .config import ApiRule, ControlError, ImageRule, Settings
from .ecs_sim import Simulator

# Credential scope service -> protocol family, for services without
# X-Amz-Target (query) or with REST protocols.
QUERY_SERVICES = {"elasticloadbalancing", "ec2", "iam", "sts", "sns", "sqs", "autoscaling",
                  "cloudformation", "rds", "elasticache", "cloudwatch", "monitoring"}
TARGET_PREFIXES = {
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "AnyScaleFrontendService": "application-autoscaling",
    "Logs_20140328": "logs",
    "AmazonEC2ContainerRegistry_V20150921": "ecr",
    "secretsmanager": "secretsmanager",
    "AmazonSSM": "ssm",
    "AWSEvents": "events",
    "GraniteServiceVersion20100801": "monitoring",
    "DynamoDB_20120810": "dynamodb",
    "TrentService": "kms",
}
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


class CallInfo:
    __slots__ = ("service", "operation", "protocol", "region")

    def __init__(self, service: str, operation: str, protocol: str, region: str) -> None:
        self.service = service
        self.operation = operation
        self.protocol = protocol
        self.region = region


def classify(environ: dict[str, Any], body: bytes) -> CallInfo:
    """Work out service, operation and protocol of an AWS request."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = _SCOPE.search(auth)
    region, service = (m.group(1), m.group(2)) if m else ("", "")
    if not m:
        q = parse_qs(environ.get("QUERY_STRING", ""))
        cred = (q.get("X-Amz-Credential") or [""])[0].split("/")
        if len(cred) >= 4:
            region, service = cred[2], cred[3]
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        prefix, _, op = target.rpartition(".")
        if not service:
            service = TARGET_PREFIXES.get(prefix, prefix or "unknown")
        return CallInfo(service, op, "json", region)
    action = None
    q = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in q:
        action = q["Action"][0]
    ctype = environ.get("CONTENT_TYPE", "")
    if action is None and body and "x-www-form-urlencoded" in ctype:
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            action = form["Action"][0]
    if action is not None:
        return CallInfo(service or "unknown", action, "query", region)
    path = environ.get("PATH_INFO", "/")
    return CallInfo(service or "unknown", f"{environ.get('REQUEST_METHOD', 'GET')} {path}",
                    "rest", region)


_DENIAL_MESSAGE = re.compile(rb"<Message>(.*?)</Message>", re.S)


def json_denial(status: str, body: bytes) -> bytes | None:
    """The JSON body AWS answers for moto's XML `AccessDenied` (403), or None for any other answer."""
    if not status.startswith("403") or b"<Code>AccessDenied</Code>" not in body:
        return None
    found = _DENIAL_MESSAGE.search(body)
    message = found.group(1).decode("utf-8", "replace") if found else "Access denied"
    return json.dumps({"__type": "AccessDeniedException", "message": message}).encode()


class AwsSimApp:
    """WSGI application: `/_awssim/*` control routes, everything else to moto."""

    def __init__(self, sim: Simulator, settings: Settings, moto_app: Callable[..., Any]) -> None:
        self.sim = sim
        self.settings = settings
        self.moto_app = moto_app
        self.calls: dict[str, dict[str, int]] = {}
        self.calls_lock = threading.Lock()
        self.started = time.time()

    # ------------------------------------------------------------------ wsgi

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_awssim/") or path == "/_awssim":
            return self.control(environ, start_response)
        body = self._read_body(environ)
        if path.startswith("/moto-api"):
            with self.sim.lock:
                result = self._call_moto(environ, start_response)
                if path.startswith("/moto-api/reset"):
                    self.sim.clear()
                return result
        info = classify(environ, body)
        self._count(info)
        if self.settings.blackhole_left() > 0:
            return self._blackhole(environ, start_response)
        latency, error = self._faults(info)
        if latency:
            time.sleep(latency / 1000.0)
        if error and error != "internalAfter":
            return self._error(start_response, info, error)
        with self.sim.lock:
            self.sim.advance()
            if error == "internalAfter":
                self._call_moto(environ, lambda *args, **kwargs: None)
                return self._error(start_response, info, error)
            if info.protocol == "json":
                return self._call_moto_json(environ, start_response)
            return self._call_moto(environ, start_response)

    def _call_moto_json(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """Calls moto for a JSON-protocol service, answering its IAM denials as AWS does.

        moto refuses a call its policies do not allow with 403 and an XML
        `AccessDenied` body, whatever the protocol; ECS and the other JSON
        services answer 400 with `{"__type": "AccessDeniedException"}`.
        """
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self._call_moto(environ, capture))
        status, headers = captured.get("status", "500 Internal Server Error"), captured.get("headers", [])
        denial = json_denial(status, body)
        if denial is not None:
            status, body = "400 Bad Request", denial
            request_id = next((v for k, v in headers if k.lower() == "x-amzn-requestid"), str(uuid.uuid4()))
            headers = [("x-amzn-RequestId", request_id), ("Content-Type", "application/x-amz-json-1.1"),
                       ("Content-Length", str(len(body)))]
        start_response(status, headers)
        return [body]

    def _call_moto(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        # Materialise the body while the lock is held: moto serialises inside.
        result = self.moto_app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        stream = environ.get("wsgi.input")
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" and stream is not None:
            body = stream.read()
        else:
            body = stream.read(length) if (stream is not None and length) else b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return body

    def _count(self, info: CallInfo) -> None:
        with self.calls_lock:
            per = self.calls.setdefault(info.service, {})
            per[info.operation] = per.get(info.operation, 0) + 1

    def _faults(self, info: CallInfo) -> tuple[float, str | None]:
        latency = 0.0
        error = None
        now = time.monotonic()
        with self.settings.lock:
            for rule in self.settings.api_rules:
                if not rule.applies(info.service, info.operation):
                    continue
                if rule.max_count is not None and rule.injected >= rule.max_count:
                    continue
                if rule.rate_per_second is not None:
                    # Token bucket: latency for every matching call, the error only when it is empty.
                    if rule.latency_ms:
                        latency += rule.latency_ms
                    if not rule.take_token(now) and error is None:
                        error = rule.error
                        rule.injected += 1
                    continue
                if random.random() >= rule.rate:
                    continue
                hit = False
                if rule.latency_ms:
                    latency += rule.latency_ms
                    hit = True
                if rule.error and error is None:
                    error = rule.error
                    hit = True
                if hit:
                    rule.injected += 1
        return latency, error

    def _blackhole(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """Holds the call until the blackhole ends, then drops the connection without an answer.

        The call never reaches moto: like packets lost on the way, it has no effect,
        and the client learns nothing until its own timeout (or the dropped connection).
        """
        while (left := self.settings.blackhole_left()) > 0:
            time.sleep(min(left, 0.2))
        with self.settings.lock:
            self.settings.blackholed += 1
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            try:
                # SO_LINGER 0: the close resets the connection; nothing of an answer is sent.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        start_response("504 Gateway Timeout", [("Content-Length", "0"), ("Connection", "close")])
        return [b""]

    def _error(self, start_response: Callable[..., Any], info: CallInfo, kind: str) -> list[bytes]:
        request_id = str(uuid.uuid4())
        if kind in ("internal", "internalAfter"):
            status = "500 Internal Server Error"
            code = "ServerException" if info.service == "ecs" else "InternalError"
            message = ("Internal error after the call took effect (injected by awssim)" if kind == "internalAfter"
                       else "Internal error (injected by awssim)")
        elif kind == "throttling":
            status = "400 Bad Request"
            code = "ThrottlingException" if info.protocol == "json" else "Throttling"
            if info.service == "s3":
                code, status = "SlowDown", "503 Slow Down"
            message = "Rate exceeded"
        else:
            status = "503 Service Unavailable"
            code = "ServiceUnavailableException" if info.protocol == "json" else "ServiceUnavailable"
            message = "Service Unavailable (injected by awssim)"
        headers = [("x-amzn-RequestId", request_id)]
        if info.protocol == "json":
            body = json.dumps({"__type": code, "message": message}).encode()
            headers.append(("Content-Type", "application/x-amz-json-1.1"))
            headers.append(("x-amzn-query-error", f"{code};Sender"))
        elif info.protocol == "query":
            body = (
                '<ErrorResponse xmlns="http://awssim/doc/2015-12-01/">'
                f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>"
            ).encode()
            headers.append(("Content-Type", "text/xml"))
        else:
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f"<Error><Code>{code}</Code><Message>{message}</Message>"
                f"<RequestId>{request_id}</RequestId></Error>"
            ).encode()
            headers.append(("Content-Type", "application/xml"))
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]

    # --------------------------------------------------------------- control

    def control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "").rstrip("/")
        raw = self._read_body(environ)
        try:
            body: Any = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            return self._json(start_response, 400, {"message": f"body is not valid JSON: {exc}"})
        routes: dict[tuple[str, str], Callable[[Any], Any]] = {
            ("GET", "/_awssim/health"): self.r_health,
            ("GET", "/_awssim/calls"): self.r_calls,
            ("DELETE", "/_awssim/calls"): self.r_calls_reset,
            ("POST", "/_awssim/reset"): self.r_reset,
            ("GET", "/_awssim/config"): self.r_config_get,
            ("POST", "/_awssim/config"): self.r_config,
            ("GET", "/_awssim/faults"): self.r_faults_get,
            ("DELETE", "/_awssim/faults"): self.r_faults_clear,
            ("POST", "/_awssim/faults/images"): self.r_faults_images,
            ("POST", "/_awssim/faults/api"): self.r_faults_api,
            ("POST", "/_awssim/faults/blackhole"): self.r_faults_blackhole,
            ("POST", "/_awssim/seed"): self.r_seed,
            ("GET", "/_awssim/listeners"): self.r_listeners,
            ("GET", "/_awssim/iam"): self.r_iam_get,
            ("POST", "/_awssim/iam"): self.r_iam,
        }
        handler = routes.get((method, path))
        if handler is None:
            allowed = sorted(f"{m} {p}" for m, p in routes)
            known = any(p == path for _, p in routes)
            return self._json(start_response, 405 if known else 404,
                              {"message": f"no route {method} {path}", "routes": allowed})
        try:
            return self._json(start_response, 200, handler(body))
        except ControlError as exc:
            return self._json(start_response, 400, {"message": str(exc)})
        except Exception as exc:  # report, do not kill the server
            return self._json(start_response, 500,
                              {"message": f"{type(exc).__name__}: {exc}"})

    @staticmethod
    def _json(start_response: Callable[..., Any], code: int, obj: Any) -> list[bytes]:
        data = json.dumps(obj, indent=None, default=str).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
                  500: "Internal Server Error"}[code]
        start_response(f"{code} {reason}", [("Content-Type", "application/json"),
                                            ("Content-Length", str(len(data)))])
        return [data]

    def r_health(self, body: Any) -> Any:
        return {"status": "ok", "timeScale": self.sim.clock.scale,
                "simSeconds": round(self.sim.clock.now(), 3),
                "uptimeSeconds": round(time.time() - self.started, 3)}

    def r_calls(self, body: Any) -> Any:
        with self.calls_lock:
            out: dict[str, Any] = {k: dict(v) for k, v in self.calls.items()}
        out["total"] = sum(sum(v.values()) for k, v in out.items())
        return out

    def r_calls_reset(self, body: Any) -> Any:
        with self.calls_lock:
            self.calls = {}
        return {"reset": ["calls"]}

    def r_reset(self, body: Any) -> Any:
        if not isinstance(body, dict):
            raise ControlError("body must be a JSON object")
        unknown = set(body) - {"moto"}
        if unknown:
            raise ControlError(f"unknown field '{sorted(unknown)[0]}' (allowed: moto)")
        full = body.get("moto", False)
        if not isinstance(full, bool):
            raise ControlError("field 'moto' must be true or false")
        self.settings.reset()
        with self.calls_lock:
            self.calls = {}
        done = ["faults", "calls", "config"]
        with self.sim.lock:
            self.sim.set_time_scale(self.default_scale)
            if full:
                from moto.moto_api._internal.models import moto_api_backend

                moto_api_backend.reset()
                self.sim.clear()
                done.append("moto")
        return {"reset": done}

    default_scale = 0.05

    def r_config_get(self, body: Any) -> Any:
        return {"timeScale": self.sim.clock.scale, **self.settings.values}

    def r_config(self, body: Any) -> Any:
        self.settings.update(body)
        if "timeScale" in body:
            v = body["timeScale"]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 < v <= 100):
                raise ControlError("field 'timeScale' must be a number in (0, 100]")
            self.sim.set_time_scale(float(v))
        return self.r_config_get({})

    def r_faults_get(self, body: Any) -> Any:
        with self.settings.lock:
            return self.settings.to_json()

    def r_faults_clear(self, body: Any) -> Any:
        with self.settings.lock:
            self.settings.image_rules = []
            self.settings.api_rules = []
            self.settings.blackhole_until = 0.0
            return self.settings.to_json()

    def _rules(self, body: Any, cls: Any) -> list[Any]:
        if isinstance(body, dict) and "rules" in body:
            if set(body) - {"rules", "replace"}:
                raise ControlError(f"unknown field '{sorted(set(body) - {'rules', 'replace'})[0]}'")
            items = body["rules"]
            if not isinstance(items, list):
                raise ControlError("field 'rules' must be a list")
            return [cls.from_json(r, where=f"rules[{i}].") for i, r in enumerate(items)]
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if k != "replace"}
        return [cls.from_json(body)]

    def _replace(self, body: Any) -> bool:
        if isinstance(body, dict) and "replace" in body:
            if not isinstance(body["replace"], bool):
                raise ControlError("field 'replace' must be true or false")
            return body["replace"]
        return False

    def r_faults_images(self, body: Any) -> Any:
        replace = self._replace(body)
        rules = self._rules(body, ImageRule)
        with self.settings.lock:
            if replace:
                self.settings.image_rules = []
            self.settings.image_rules.extend(rules)
            return self.settings.to_json()

    def r_faults_api(self, body: Any) -> Any:
        replace = self._replace(body)
        rules = self._rules(body, ApiRule)
        with self.settings.lock:
            if replace:
                self.settings.api_rules = []
            self.settings.api_rules.extend(rules)
            return self.settings.to_json()

    def r_faults_blackhole(self, body: Any) -> Any:
        seconds = self.settings.start_blackhole(body)
        return {"blackholeSeconds": seconds}

    def r_seed(self, body: Any) -> Any:
        from .seed import seed

        if not isinstance(body, dict):
            raise ControlError("body must be a JSON object")
        unknown = set(body) - {"region", "cluster"}
        if unknown:
            raise ControlError(f"unknown field '{sorted(unknown)[0]}' (allowed: cluster, region)")
        for key in ("region", "cluster"):
            if key in body and (not isinstance(body[key], str) or not body[key]):
                raise ControlError(f"field '{key}' must be a non-empty string")
        cluster = body.get("cluster", "ecs-tutorial")
        return seed(self.endpoint, region=body.get("region", "us-east-1"), cluster=cluster,
                    prefix=cluster)

    endpoint = ""

    def r_listeners(self, body: Any) -> Any:
        with self.sim.lock:
            return {"listeners": self.sim.lb_http.describe()}

    def r_iam_get(self, body: Any) -> Any:
        from moto import settings as moto_settings
        from moto.core.authorization import ActionAuthenticatorMixin

        limit = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
        count = ActionAuthenticatorMixin.request_count
        return {"enforcing": count >= limit,
                "unauthenticatedCalls": count,
                "initialNoAuthActionCount": None if limit == float("inf") else int(limit)}

    def r_iam(self, body: Any) -> Any:
        """Turn moto's SigV4 and IAM policy checks on (or off) from the next call on."""
        from moto import settings as moto_settings
        from moto.core.authorization import ActionAuthenticatorMixin

        if not isinstance(body, dict):
            raise ControlError("body must be a JSON object")
        unknown = set(body) - {"enforce"}
        if unknown:
            raise ControlError(f"unknown field '{sorted(unknown)[0]}' (allowed: enforce)")
        if not isinstance(body.get("enforce"), bool):
            raise ControlError("field 'enforce' must be true or false")
        with self.sim.lock:
            # moto checks `request_count >= INITIAL_NO_AUTH_ACTION_COUNT` on every call.
            moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = (
                ActionAuthenticatorMixin.request_count if body["enforce"] else float("inf"))
        return self.r_iam_get({})


def make_app(time_scale: float = 0.05) -> AwsSimApp:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    settings = Settings()
    sim = Simulator(settings, time_scale)
    sim.install()
    app = AwsSimApp(sim, settings, DomainDispatcherApplication(create_backend_app))
    app.default_scale = time_scale
    return app


def serve(host: str, port: int, time_scale: float) -> None:
    from werkzeug.serving import make_server

    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("awssim: refusing to listen on a non-loopback address")
    app = make_app(time_scale)
    server = make_server(host, port, app, threaded=True)
    os.environ["MOTO_PORT"] = str(server.server_port)
    app.endpoint = f"http://{host}:{server.server_port}"
    app.sim.start_ticker()

    def on_term(signum: int, frame: Any) -> None:
        raise SystemExit(0)  # unwinds serve_forever, so the finally below stops everything

    import signal

    signal.signal(signal.SIGTERM, on_term)
    print(json.dumps({"awssim": "listening", "endpoint": app.endpoint, "timeScale": time_scale}),
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        app.sim.shutdown()
        server.server_close()
