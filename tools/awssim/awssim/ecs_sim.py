"""ECS that rolls out: runtime patches of moto's ECS backend plus a scheduler.

moto keeps the resources (clusters, task definitions, services, tasks) and
speaks the wire protocol; the simulator adds what ECS does over time. This
module holds simulated time (`Clock`), the step and the `Simulator` that
puts the concerns together, each in its own module:

- services.py: services and deployments (PRIMARY/ACTIVE, rolloutState), the
  scheduler (minimumHealthyPercent/maximumPercent), events with the real ECS
  wording, the circuit breaker, DRAINING -> INACTIVE; moto's service APIs.
- tasks.py: the task lifecycle (PROVISIONING -> PENDING -> RUNNING -> ... ->
  STOPPED); moto's task APIs (RunTask, StopTask, ListTasks, DescribeTasks).
- load_balancers.py: target registration in ELBv2 target groups, target
  health; lb_http.py: the listeners served for real on 127.0.0.1.
- faults.py: image fault rules applied to tasks and to their HTTP answers.

Reference: Amazon ECS Developer Guide, "Task lifecycle".

Everything here runs under `Simulator.lock`; the HTTP layer holds the same
lock around every moto request.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from moto.ecs import models as ecs_models
from moto.ecs import responses as ecs_responses
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Task

from . import load_balancers as _load_balancers
from . import services as _services
from . import tasks as _tasks
from .config import Settings
from .current import set_current
from .faults import FaultsMixin
from .lb_http import LoadBalancerHttp
from .load_balancers import LoadBalancersMixin
from .services import ServiceSim, ServicesMixin
from .tasks import TasksMixin


class Clock:
    """Simulated ECS time: `scale` real seconds per ECS second."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._mono0 = time.monotonic()
        self._sim0 = 0.0

    def now(self) -> float:
        return self._sim0 + (time.monotonic() - self._mono0) / self.scale

    def set_scale(self, scale: float) -> None:
        self._sim0 = self.now()
        self._mono0 = time.monotonic()
        self.scale = scale

    def wall(self, sim_t: float) -> datetime:
        """Wall-clock time (UTC) at which simulated time `sim_t` happens."""
        delta = (sim_t - self.now()) * self.scale
        return datetime.now(timezone.utc) + timedelta(seconds=delta)

class Simulator(ServicesMixin, TasksMixin, LoadBalancersMixin, FaultsMixin):
    """Holds simulated time and the step; the concerns are in the mixins' modules."""

    def __init__(self, settings: Settings, time_scale: float = 0.05) -> None:
        self.settings = settings
        self.clock = Clock(time_scale)
        self.lock = threading.RLock()
        self.services: list[ServiceSim] = []
        self.tasks: list[Task] = []
        # Services whose state may have changed since they were last stepped: a task of
        # theirs moved, an API call touched them, or they are draining on a timer. Only
        # these are scheduled and rendered each step, so a quiet service costs nothing
        # (1,000 services otherwise hold the lock for most of every tick).
        self.dirty: set[ServiceSim] = set()
        self.last_sim = self.clock.now()
        self._request_params: dict[str, Any] = {}
        self._step_now: float | None = None
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        self.lb_http = LoadBalancerHttp(self)  # listener ARN -> loopback HTTP server

    # ------------------------------------------------------------------ time

    def advance(self) -> None:
        """Catch simulated time up with the clock (call with the lock held)."""
        now = self.clock.now()
        t = self.last_sim
        steps = 0
        while t < now and steps < 10000:
            t = min(now, t + 1.0)
            self._step(t)
            steps += 1
        if t < now:  # a very long pause: jump
            t = now
            self._step(t)
        self.last_sim = t

    def start_ticker(self, interval: float = 0.02) -> None:
        def run() -> None:
            while not self._stop.wait(interval):
                with self.lock:
                    try:
                        self.advance()
                    except Exception:  # never let the ticker die
                        import traceback

                        traceback.print_exc()

        self._ticker = threading.Thread(target=run, name="awssim-ticker", daemon=True)
        self._ticker.start()

    def stop_ticker(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)

    def shutdown(self) -> None:
        """Stop the ticker and every listener's HTTP server."""
        self.stop_ticker()
        with self.lock:
            self.lb_http.stop_all()

    def set_time_scale(self, scale: float) -> None:
        with self.lock:
            self.advance()
            self.clock.set_scale(scale)
            self.last_sim = self.clock.now()

    def clear(self) -> None:
        """Forget all simulated services and tasks and stop the listeners' servers (after a moto reset)."""
        with self.lock:
            self.lb_http.stop_all()
            self.services = []
            self.tasks = []
            self.dirty = set()

    # ------------------------------------------------------------------ step

    def _now(self) -> float:
        """Simulated time for new work: the step being run, else the last one."""
        return self._step_now if self._step_now is not None else self.last_sim

    def _step(self, now: float) -> None:
        self._step_now = now
        try:
            self._step_inner(now)
        finally:
            self._step_now = None

    def _step_inner(self, now: float) -> None:
        for task in list(self.tasks):
            self._advance_task(task, now)
        dirty, self.dirty = self.dirty, set()
        for ss in list(self.services):
            if ss not in dirty:
                continue
            self._schedule(ss, now)
            self._flush_events(ss, now)
            self._render_service(ss)
            if ss.service.status == "DRAINING":
                self.dirty.add(ss)  # waits on draining_done_at
        self._expire(now)

    def _touch(self, ss: "ServiceSim | None") -> None:
        """Mark a service for scheduling at the next step."""
        if ss is not None:
            self.dirty.add(ss)

    # -------------------------------------------------------------- patches

    def install(self) -> None:
        """Patch moto's ECS (and EC2 ENI) models in place; idempotent."""
        if getattr(ecs_models, "_awssim_installed", False):
            set_current(self)
            return
        ecs_models._awssim_installed = True
        set_current(self)
        _install_patches()


def _install_patches() -> None:
    _tasks.install_patches()
    _services.install_patches()
    _load_balancers.install_patches()
    B = EC2ContainerServiceBackend
    R = ecs_responses.EC2ContainerServiceResponse

    # --- pagination of ListServices / ListTasks (moto returns everything).
    def _paginate(self: Any, items: list[str], key: str, default: int) -> Any:
        max_results = self._get_param("maxResults")
        token = self._get_param("nextToken")
        size = default if max_results is None else int(max_results)
        if size < 1 or size > 100:
            raise InvalidParameterException("maxResults must be between 1 and 100.")
        start = 0
        if token:
            try:
                start = int(token.split(":", 1)[1])
            except (ValueError, IndexError):
                raise InvalidParameterException("Invalid nextToken.")
        page = items[start:start + size]
        out: dict[str, Any] = {key: page}
        if start + size < len(items):
            out["nextToken"] = f"awssim:{start + size}"
        return ecs_responses.ActionResult(out)

    orig_list_services_resp = R.list_services
    orig_list_tasks_resp = R.list_tasks

    def list_services_resp(self: Any) -> Any:
        res = orig_list_services_resp(self)
        return _paginate(self, res.result["serviceArns"], "serviceArns", 10)

    def list_tasks_resp(self: Any) -> Any:
        res = orig_list_tasks_resp(self)
        return _paginate(self, res.result["taskArns"], "taskArns", 100)

    R.list_services = list_services_resp
    R.list_tasks = list_tasks_resp
    # --- cluster counters from the real tasks and services.
    orig_describe_clusters = B.describe_clusters

    def describe_clusters(self: B, *args: Any, **kwargs: Any) -> Any:
        clusters, failures = orig_describe_clusters(self, *args, **kwargs)
        for cluster in clusters:
            live = [t for t in self.tasks.get(cluster.name, {}).values()
                    if t.last_status != "STOPPED"]
            cluster.running_tasks_count = sum(1 for t in live if t.last_status == "RUNNING")
            cluster.pending_tasks_count = sum(
                1 for t in live if t.last_status in ("PROVISIONING", "PENDING", "ACTIVATING"))
            cluster.active_services_count = sum(
                1 for svc in self.services.values()
                if svc.cluster_name == cluster.name and svc.status == "ACTIVE")
        return clusters, failures

    B.describe_clusters = describe_clusters

    # --- Application Auto Scaling: DescribeScalingPolicies matches ResourceId and
    # ScalableDimension exactly (moto 5.2.1 matches substrings, so the policies of
    # service/c/myapp were also listed for service/c/myappCanary and service/c/myapp__2).
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

    def describe_scaling_policies(self: Any, service_namespace: str, resource_id: str | None,
                                  scalable_dimension: str | None, max_results: int | None,
                                  next_token: str | None) -> tuple[str | None, list[Any]]:
        policies = [p for p in self.policies.values()
                    if p.service_namespace == service_namespace
                    and (not resource_id or p.resource_id == resource_id)
                    and (not scalable_dimension or p.scalable_dimension == scalable_dimension)]
        start = int(next_token) if next_token else 0
        end = start + (max_results or 100)
        return (str(end) if end < len(policies) else None), policies[start:end]

    ApplicationAutoscalingBackend.describe_scaling_policies = describe_scaling_policies

    # --- CloudWatch alarms (moto's): a new alarm is INSUFFICIENT_DATA, as in AWS (moto 5.2.1
    # starts it OK, which reads as "all is well" before anything was measured), and
    # PutMetricAlarm on an existing alarm keeps its state, as AWS documents.
    from moto.cloudwatch.models import CloudWatchBackend

    orig_put_metric_alarm = CloudWatchBackend.put_metric_alarm

    def put_metric_alarm(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        old = self.alarms.get(name)
        alarm = orig_put_metric_alarm(self, name, *args, **kwargs)
        if old is not None:
            for attr in ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp",
                         "history"):
                setattr(alarm, attr, getattr(old, attr))
        else:
            alarm.state_value = "INSUFFICIENT_DATA"
        return alarm

    CloudWatchBackend.put_metric_alarm = put_metric_alarm

    # --- IAM action names: CloudWatch signs as "monitoring", but its IAM actions are
    # "cloudwatch:..." (moto 5.2.1 checks "monitoring:DescribeAlarms", which no real policy grants).
    from moto.iam.access_control import IAMRequestBase

    orig_iam_request_init = IAMRequestBase.__init__

    def iam_request_init(self: Any, *args: Any, **kwargs: Any) -> None:
        orig_iam_request_init(self, *args, **kwargs)
        prefix, _, operation = self._action.partition(":")
        if prefix == "monitoring":
            self._action = f"cloudwatch:{operation}"

    IAMRequestBase.__init__ = iam_request_init
