"""The load balancers' HTTP side: every HTTP listener served for real on 127.0.0.1.

Each ELBv2 listener with protocol HTTP gets a `ListenerServer`, a small threaded HTTP
server on an ephemeral loopback port, from CreateListener until DeleteListener,
DeleteLoadBalancer, a moto reset or the simulator's shutdown. A request is routed as an
ALB does, reading moto's listener live (so ModifyListener/ModifyRule take effect for the
next request):

1. rules in priority order, then the default rule; conditions `path-pattern`,
   `host-header`, `http-header`, `http-request-method` and `query-string` (`*` and `?`
   wildcards; a rule with any other condition never matches);
2. the first `forward`, `fixed-response` or `redirect` action;
3. for `forward`, a target group by weight: smooth weighted round-robin (nginx's), so
   weights 90/10 give exactly 9 of every 10 requests to the first group, interleaved,
   with no chance involved; weight 0 gets nothing;
4. a target registered in that group that is a RUNNING task (round-robin over them,
   healthy ones first; when none is healthy the ALB "fails open" to all);
5. the task answers (faults.py): 200 with JSON naming its task definition and image, or
   what its image's rule says. No registered target: 503, as an ALB.

Routing holds the simulator lock; the answer (and its latency) is sent without it.
"""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from moto.elbv2.models import elbv2_backends

from .faults import HttpAnswer, http_answer, target_health

if TYPE_CHECKING:
    from .ecs_sim import Simulator

LOOPBACK = "127.0.0.1"


def _wildcard(pattern: str, case: bool) -> re.Pattern[str]:
    """An ALB condition value: `*` any characters, `?` exactly one, nothing else special."""
    rx = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(f"^{rx}$", 0 if case else re.IGNORECASE)


def _values(cond: dict[str, Any], config_key: str) -> list[str]:
    values = list(cond.get("Values") or [])
    cfg = cond.get(config_key) or {}
    values += list(cfg.get("Values") or [])
    return values


class Request:
    def __init__(self, method: str, target: str, headers: dict[str, str]) -> None:
        parts = urlsplit(target)
        self.method = method
        self.path = parts.path or "/"
        self.query = parse_qsl(parts.query, keep_blank_values=True)
        self.headers = {k.lower(): v for k, v in headers.items()}
        host = self.headers.get("host", "")
        self.host = host if host.endswith("]") else host.rsplit(":", 1)[0]  # without the port


def condition_matches(cond: dict[str, Any], req: Request) -> bool:
    field = cond.get("Field")
    if field == "path-pattern":
        return any(_wildcard(v, True).match(req.path) for v in _values(cond, "PathPatternConfig"))
    if field == "host-header":
        return any(_wildcard(v, False).match(req.host) for v in _values(cond, "HostHeaderConfig"))
    if field == "http-request-method":
        return req.method in _values(cond, "HttpRequestMethodConfig")
    if field == "http-header":
        cfg = cond.get("HttpHeaderConfig") or {}
        value = req.headers.get(str(cfg.get("HttpHeaderName", "")).lower())
        return value is not None and any(_wildcard(v, False).match(value) for v in cfg.get("Values") or [])
    if field == "query-string":
        pairs = (cond.get("QueryStringConfig") or {}).get("Values") or []
        for pair in pairs:
            key, want = pair.get("Key"), pair.get("Value", "")
            for k, v in req.query:
                if (key is None or _wildcard(key, False).match(k)) and _wildcard(want, False).match(v):
                    return True
        return False
    return False  # source-ip and anything else: not simulated, the rule never matches


def _priority(rule: Any) -> float:
    try:
        return float(rule.priority)
    except (TypeError, ValueError):
        return float("inf")


class ListenerServer:
    """One listener's loopback HTTP server (never bound to anything but 127.0.0.1)."""

    def __init__(self, router: "LoadBalancerHttp", listener: Any, account_id: str, region: str) -> None:
        self.router = router
        self.listener = listener
        self.arn: str = listener.arn
        self.load_balancer_arn: str = listener.load_balancer_arn
        self.account_id = account_id
        self.region = region
        owner = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "awssim-alb"
            sys_version = ""

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(min(length, 1 << 20))
                answer, extra = owner.router.handle(owner, Request(self.command, self.path, dict(self.headers)))
                if answer.latency_ms:
                    time.sleep(answer.latency_ms / 1000.0)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _any

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self.httpd = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.httpd.daemon_threads = True
        self.port: int = self.httpd.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       name=f"awssim-listener-{self.port}", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class LoadBalancerHttp:
    """The listeners' servers (listener ARN -> server) and the routing state."""

    def __init__(self, sim: "Simulator") -> None:
        self.sim = sim
        self.servers: dict[str, ListenerServer] = {}
        self._wrr: dict[str, tuple[tuple[tuple[str, int], ...], dict[str, int]]] = {}
        self._rr: dict[str, int] = {}

    # ------------------------------------------------------------ lifecycle (sim lock held)

    def start(self, listener: Any, account_id: str, region: str) -> None:
        if listener.arn in self.servers or (listener.protocol or "").upper() != "HTTP":
            return
        self.servers[listener.arn] = ListenerServer(self, listener, account_id, region)

    def stop(self, listener_arn: str) -> None:
        server = self.servers.pop(listener_arn, None)
        if server is not None:
            server.stop()

    def stop_all(self) -> None:
        for arn in list(self.servers):
            self.stop(arn)
        self._wrr.clear()
        self._rr.clear()

    def describe(self) -> list[dict[str, Any]]:
        out = []
        for s in self.servers.values():
            lb = elbv2_backends[s.account_id][s.region].load_balancers.get(s.load_balancer_arn)
            out.append({
                "listenerArn": s.arn,
                "loadBalancerArn": s.load_balancer_arn,
                "loadBalancerName": getattr(lb, "name", None),
                "dnsName": getattr(lb, "dns_name", None),
                "port": int(s.listener.port) if str(s.listener.port).isdigit() else s.listener.port,
                "protocol": s.listener.protocol,
                "url": s.url,
            })
        return out

    # --------------------------------------------------------------------------- routing

    def handle(self, server: ListenerServer, req: Request) -> tuple[HttpAnswer, dict[str, str]]:
        with self.sim.lock:
            self.sim.advance()
            if self.servers.get(server.arn) is not server:
                return self._text(503, "listener deleted"), {}
            listener = server.listener
            rules = sorted((r for r in listener.rules.values() if not r.is_default), key=_priority)
            rules += [r for r in listener.rules.values() if r.is_default]
            rule = next((r for r in rules if all(condition_matches(c, req) for c in r.conditions or [])), None)
            if rule is None:
                return self._text(404, "no rule matched"), {}
            action = next((a for a in rule.actions
                           if a.type in ("forward", "fixed-response", "redirect")), None)
            if action is None:
                return self._text(503, "no forward, fixed-response or redirect action"), {}
            if action.type == "fixed-response":
                cfg = action.data.get("FixedResponseConfig") or {}
                return HttpAnswer(int(cfg.get("StatusCode", 200)), str(cfg.get("MessageBody", "")).encode(),
                                  cfg.get("ContentType", "text/plain")), {}
            if action.type == "redirect":
                return self._redirect(action.data.get("RedirectConfig") or {}, req, listener)
            tg_arn = self._pick_group(rule.arn, self._groups(action.data))
            if tg_arn is None:
                return self._text(503, "Service Temporarily Unavailable"), {}
            picked = self._pick_target(server, tg_arn)
            if picked is None:
                return self._text(503, "Service Temporarily Unavailable"), {}
            task, container = picked
            image = container.get("image") or ""
            ok = {"taskArn": task.task_arn,
                  "taskDefinition": task.task_definition_arn.split("/")[-1],
                  "image": image,
                  "container": container.get("name"),
                  "targetGroupArn": tg_arn,
                  "listenerArn": server.arn}
            answer = http_answer(self.sim.settings, image, ok)
            return answer, {"X-Awssim-Task": task.task_arn, "X-Awssim-Target-Group": tg_arn}

    @staticmethod
    def _text(status: int, message: str) -> HttpAnswer:
        return HttpAnswer(status, f"{status} {message}\n".encode(), "text/plain; charset=utf-8")

    @staticmethod
    def _redirect(cfg: dict[str, Any], req: Request, listener: Any) -> tuple[HttpAnswer, dict[str, str]]:
        proto = cfg.get("Protocol", "#{protocol}").replace("#{protocol}", "http").lower()
        host = cfg.get("Host", "#{host}").replace("#{host}", req.host or LOOPBACK)
        port = cfg.get("Port", "#{port}").replace("#{port}", str(listener.port))
        path = cfg.get("Path", "/#{path}").replace("/#{path}", req.path).replace("#{path}", req.path.lstrip("/"))
        query = cfg.get("Query", "#{query}").replace("#{query}", "&".join(f"{k}={v}" for k, v in req.query))
        location = f"{proto}://{host}:{port}{path}" + (f"?{query}" if query else "")
        status = 301 if cfg.get("StatusCode", "HTTP_301") == "HTTP_301" else 302
        return HttpAnswer(status, b"", "text/plain"), {"Location": location}

    @staticmethod
    def _groups(data: dict[str, Any]) -> list[tuple[str, int]]:
        fc = data.get("ForwardConfig") or {}
        if fc.get("TargetGroups"):
            return [(g["TargetGroupArn"], int(g.get("Weight", 1))) for g in fc["TargetGroups"]]
        if data.get("TargetGroupArn"):
            return [(data["TargetGroupArn"], 1)]
        return []

    def _pick_group(self, key: str, groups: list[tuple[str, int]]) -> str | None:
        """Smooth weighted round-robin over the groups with weight > 0 (state per rule)."""
        live = tuple((arn, w) for arn, w in groups if w > 0)
        if not live:
            return None
        if len(live) == 1:
            return live[0][0]
        state = self._wrr.get(key)
        if state is None or state[0] != live:
            state = (live, {arn: 0 for arn, _ in live})
            self._wrr[key] = state
        current = state[1]
        for arn, w in live:
            current[arn] += w
        best = max(live, key=lambda g: current[g[0]])[0]
        current[best] -= sum(w for _, w in live)
        return best

    def _pick_target(self, server: ListenerServer, tg_arn: str) -> tuple[Any, dict[str, Any]] | None:
        backend = elbv2_backends[server.account_id][server.region]
        group = backend.target_groups.get(tg_arn)
        if group is None:
            return None
        candidates = []
        for task in self.sim.tasks:
            if task.last_status != "RUNNING":
                continue
            for _region, tg, target, container_name in task._awssim.targets:
                if tg == tg_arn and target["Id"] in group.targets:
                    container = next((c for c in task.containers if c.get("name") == container_name),
                                     task.containers[0] if task.containers else {})
                    candidates.append((task, container))
        if not candidates:
            return None
        timeout = float(getattr(group, "health_check_timeout_seconds", 5) or 5)
        healthy = [c for c in candidates
                   if target_health(self.sim.settings, c[1].get("image") or "", timeout)[0] == "healthy"]
        pool = healthy or candidates  # fail open
        n = self._rr.get(tg_arn, 0)
        self._rr[tg_arn] = n + 1
        return pool[n % len(pool)]
