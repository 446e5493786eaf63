"""Services and deployments: the scheduler (rolling update), the circuit breaker, events,
DRAINING -> INACTIVE, and moto's service APIs.

References: Amazon ECS Developer Guide, "Deploy Amazon ECS services by replacing
tasks" (rolling update), "How the Amazon ECS deployment circuit breaker detects
failures", "Viewing Amazon ECS service event messages".
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import datetime
from typing import Any

from moto.core.exceptions import ServiceException
from moto.ecs import responses as ecs_responses
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service, Task

from .current import current as _sim
from .tasks import TaskSim

EVENT_CAP = 100


class ServiceNotActiveException(ServiceException):
    code = "ServiceNotActiveException"
    message = "Service was not ACTIVE."


def _new_deployment_id() -> str:
    return f"ecs-svc/{random.randint(10**18, 10**19 - 1)}"


class DeploymentSim:
    def __init__(self, service: Service, task_definition: str, wall: datetime,
                 reason: str | None = None) -> None:
        self.id = _new_deployment_id()
        self.status = "PRIMARY"
        self.task_definition = task_definition
        self.desired_count = service.desired_count
        self.failed_tasks = 0
        self.created_at = wall
        self.updated_at = wall
        self.rollout_state = "IN_PROGRESS"
        self.rollout_state_reason = reason or f"ECS deployment {self.id} in progress."
        self.launch_type = service.launch_type
        self.platform_version = getattr(service, "platform_version", None)
        self.network_configuration = getattr(service, "network_configuration", None) or None
        self.capacity_provider_strategy = getattr(service, "capacity_provider_strategy", None)
        self.unable_event_written = False
        self.rollback_of: str | None = None

    def render(self, tasks: list[Task]) -> dict[str, Any]:
        mine = [t for t in tasks if t._awssim.deployment is self and t.desired_status == "RUNNING"]
        running = sum(1 for t in mine if t.last_status == "RUNNING")
        pending = sum(1 for t in mine if t.last_status in ("PROVISIONING", "PENDING", "ACTIVATING"))
        d: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "taskDefinition": self.task_definition,
            "desiredCount": self.desired_count,
            "pendingCount": pending,
            "runningCount": running,
            "failedTasks": self.failed_tasks,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "rolloutState": self.rollout_state,
            "rolloutStateReason": self.rollout_state_reason,
        }
        if self.capacity_provider_strategy:
            d["capacityProviderStrategy"] = self.capacity_provider_strategy
        elif self.launch_type:
            d["launchType"] = self.launch_type
        if self.launch_type == "FARGATE":
            d["platformVersion"] = self.platform_version or "1.4.0"
            d["platformFamily"] = "Linux"
        if self.network_configuration:
            d["networkConfiguration"] = self.network_configuration
        return d


class ServiceSim:
    def __init__(self, backend: EC2ContainerServiceBackend, service: Service) -> None:
        self.backend = backend
        self.service = service
        self.deployments: list[DeploymentSim] = []
        self.tasks: list[Task] = []
        self.last_completed: DeploymentSim | None = None
        self.steady = False
        self.draining_done_at: float | None = None
        # Buffered per tick, flushed as one event each (ECS batches them too).
        self.started: list[str] = []
        self.stopped: list[str] = []
        self.registered: dict[str, int] = {}
        self.deregistered: dict[str, int] = {}



class ServicesMixin:
    """Simulator methods for services and their deployments."""

    def adopt_service(self, backend: EC2ContainerServiceBackend, service: Service,
                      params: dict[str, Any]) -> None:
        now = self._now()
        wall = self.clock.wall(now)
        ss = ServiceSim(backend, service)
        service._awssim = ss
        service.created_at = wall
        service.events = []
        service.deployment_configuration = _deployment_configuration(
            params.get("deploymentConfiguration"), None
        )
        if params.get("healthCheckGracePeriodSeconds") is not None:
            service.health_check_grace_period_seconds = params["healthCheckGracePeriodSeconds"]
        for key, attr in (("enableExecuteCommand", "enable_execute_command"),
                          ("enableECSManagedTags", "enable_ecs_managed_tags"),
                          ("capacityProviderStrategy", "capacity_provider_strategy"),
                          ("placementConstraints", "placement_constraints"),
                          ("placementStrategy", "placement_strategy")):
            if params.get(key) is not None:
                setattr(service, attr, params[key])
        if params.get("capacityProviderStrategy") and not params.get("launchType"):
            service.launch_type = None
        if service.task_definition:
            service.task_definition = backend.describe_task_definition(
                service.task_definition).arn
        if (service.deployment_controller or {}).get("type", "ECS") == "ECS":
            ss.deployments = [DeploymentSim(service, service.task_definition, wall)]
        else:
            ss.deployments = []
        self.services = [s for s in self.services
                         if not (s.service.cluster_arn == service.cluster_arn
                                 and s.service.name == service.name)]
        self.services.append(ss)
        self._touch(ss)
        self._render_service(ss)

    def update_service(self, backend: EC2ContainerServiceBackend,
                       props: dict[str, Any]) -> Service:
        cluster_str = props.get("cluster") or "default"
        service_str = props.get("service")
        if not service_str:
            raise InvalidParameterException("Service cannot be empty.")
        service = backend._get_service(cluster_str, service_str.split("/")[-1])
        ss: ServiceSim | None = getattr(service, "_awssim", None)
        if service.status != "ACTIVE" or ss is None:
            raise ServiceNotActiveException()
        self.advance()
        now = self._now()
        wall = self.clock.wall(now)
        new_deployment = bool(props.get("force_new_deployment"))
        if props.get("task_definition"):
            td = backend.describe_task_definition(props["task_definition"]).arn
            if td != service.task_definition:
                new_deployment = True
            service.task_definition = td
        if props.get("desired_count") is not None:
            dc = int(props["desired_count"])
            if dc < 0:
                raise InvalidParameterException("desiredCount can not be negative.")
            if dc != service.desired_count:
                ss.steady = False
            service.desired_count = dc
        if props.get("deployment_configuration") is not None:
            service.deployment_configuration = _deployment_configuration(
                props["deployment_configuration"], service.deployment_configuration
            )
        if props.get("network_configuration") is not None:
            service.network_configuration = service._validate_network(
                props["network_configuration"])
            new_deployment = True
        if props.get("platform_version") is not None:
            if props["platform_version"] != service.platform_version:
                new_deployment = True
            service.platform_version = props["platform_version"]
        if props.get("load_balancers") is not None:
            service.load_balancers = props["load_balancers"]
            new_deployment = True
        if props.get("capacity_provider_strategy") is not None:
            service.capacity_provider_strategy = props["capacity_provider_strategy"]
            new_deployment = True
        for key in ("health_check_grace_period_seconds", "enable_execute_command",
                    "enable_ecs_managed_tags", "propagate_tags", "service_registries",
                    "placement_constraints", "placement_strategy"):
            if props.get(key) is not None:
                setattr(service, key, props[key])
        if ss.deployments and new_deployment:
            for d in ss.deployments:
                if d.status == "PRIMARY":
                    d.status = "ACTIVE"
                    d.updated_at = wall
            dep = DeploymentSim(service, service.task_definition, wall)
            ss.deployments.insert(0, dep)
            ss.steady = False
        elif ss.deployments:
            ss.deployments[0].desired_count = service.desired_count
            ss.deployments[0].updated_at = wall
        self._touch(ss)
        self._render_service(ss)
        return service

    def delete_service(self, service: Service) -> None:
        ss: ServiceSim | None = getattr(service, "_awssim", None)
        service.status = "DRAINING"
        service.desired_count = 0
        if ss is None:
            service.status = "INACTIVE"
            return
        self.advance()
        ss.steady = False
        self._touch(ss)
        self._render_service(ss)

    def _task_failed(self, ss: ServiceSim, task: Task, at: float) -> None:
        dep = task._awssim.deployment
        if dep is None or dep.status == "INACTIVE":
            return
        dep.failed_tasks += 1
        dep.updated_at = self.clock.wall(at)
        if dep is not ss.deployments[0] or dep.rollout_state != "IN_PROGRESS":
            return
        service = ss.service
        threshold = max(3, min(200, math.ceil(service.desired_count * 0.5)))
        cb = (service.deployment_configuration or {}).get("deploymentCircuitBreaker") or {}
        if dep.failed_tasks < threshold:
            return
        if not cb.get("enable"):
            if not dep.unable_event_written:
                dep.unable_event_written = True
                self._event(ss, at, f"(service {service.name}) is unable to consistently start "
                                    "tasks successfully. For more information, see the "
                                    "Troubleshooting section of the Amazon ECS Developer Guide.")
            return
        wall = self.clock.wall(at)
        dep.rollout_state = "FAILED"
        dep.rollout_state_reason = "ECS deployment circuit breaker: tasks failed to start."
        self._flush_events(ss, at)
        self._event(ss, at, f"(service {service.name}) (deployment {dep.id}) deployment failed: "
                            "tasks failed to start.")
        target = ss.last_completed
        if cb.get("rollback") and target is not None:
            dep.status = "ACTIVE"
            service.task_definition = target.task_definition
            back = DeploymentSim(
                service, target.task_definition, wall,
                reason=f"ECS deployment circuit breaker: rolling back to deploymentId {target.id}.",
            )
            back.rollback_of = dep.id
            back.platform_version = target.platform_version
            back.network_configuration = target.network_configuration
            ss.deployments.insert(0, back)
            ss.steady = False
            self._event(ss, at, f"(service {service.name}) rolling back to deployment "
                                f"{target.id}.")

    def _launch(self, ss: ServiceSim, dep: DeploymentSim, n: int, now: float) -> None:
        service = ss.service
        backend = ss.backend
        cluster = backend._get_cluster(service.cluster_name)
        task_def = backend.describe_task_definition(dep.task_definition)
        if cluster.name not in backend.tasks:
            backend.tasks[cluster.name] = {}
        net = service.network_configuration or None
        for _ in range(n):
            task = Task(
                cluster=cluster,
                task_definition=task_def,
                container_instance_arn=None,
                resource_requirements=None,
                backend=backend,
                group=f"service:{service.name}",
                launch_type=dep.launch_type or ("FARGATE" if task_def.network_mode == "awsvpc"
                                                and not dep.capacity_provider_strategy else "EC2"),
                started_by=dep.id,
                tags=list(service.tags) if service.propagate_tags == "SERVICE" else [],
                networking_configuration=net if task_def.network_mode == "awsvpc" else None,
                platform_version=dep.platform_version,
            )
            if dep.capacity_provider_strategy and not dep.launch_type:
                task.capacity_provider_name = dep.capacity_provider_strategy[0].get(
                    "capacityProvider")
            sim: TaskSim = task._awssim
            sim.kind = "service"
            sim.service = ss
            sim.deployment = dep
            backend.tasks[cluster.name][task.task_arn] = task
            ss.tasks.append(task)
            ss.started.append(task.id)

    def _scheduler_stop(self, ss: ServiceSim, tasks: list[Task], now: float, dep_id: str,
                        reason: str | None = None) -> None:
        for t in tasks:
            was_running = t.last_status == "RUNNING"
            self._begin_stop(t, now, "ServiceSchedulerInitiated",
                             reason or f"Scaling activity initiated by (deployment {dep_id})")
            if was_running:
                ss.stopped.append(t.id)

    def _schedule(self, ss: ServiceSim, now: float) -> None:
        service = ss.service
        if service.status == "INACTIVE" or not ss.deployments:
            return
        active = [t for t in ss.tasks if t.desired_status == "RUNNING"]
        primary = ss.deployments[0]
        if service.status == "DRAINING":
            if active:
                self._scheduler_stop(ss, active, now, primary.id)
            alive = [t for t in ss.tasks if t.last_status != "STOPPED"]
            if not alive:
                if ss.draining_done_at is None:
                    ss.draining_done_at = now + self.settings.get("drainingServiceSeconds")
                elif now >= ss.draining_done_at:
                    service.status = "INACTIVE"
                    for d in ss.deployments[1:]:
                        d.status = "INACTIVE"
                    ss.deployments = ss.deployments[:1]
                    primary.desired_count = 0
            return

        desired = service.desired_count
        primary.desired_count = desired
        cfg = service.deployment_configuration or {}
        max_pct = cfg.get("maximumPercent", 200)
        min_pct = cfg.get("minimumHealthyPercent", 100)
        max_total = max(desired, math.floor(desired * max_pct / 100))
        min_healthy = math.ceil(desired * min_pct / 100)
        if max_total == desired and min_healthy >= desired and desired > 0:
            # Neither surge nor drain allowed: ECS still replaces one at a time.
            min_healthy = desired - 1

        prim_active = [t for t in active if t._awssim.deployment is primary]
        old_active = [t for t in active if t._awssim.deployment is not primary]
        failed_no_rollback = primary.rollout_state == "FAILED"

        # Scale the primary deployment in when it has too many tasks.
        if len(prim_active) > desired:
            extra = sorted(prim_active, key=lambda t: t.last_status == "RUNNING")
            extra = extra[: len(prim_active) - desired]
            self._scheduler_stop(ss, extra, now, primary.id)
            active = [t for t in active if t not in extra]
            prim_active = [t for t in prim_active if t not in extra]

        # Launch tasks of the primary deployment within maximumPercent.
        if not failed_no_rollback:
            want = desired - len(prim_active)
            room = max_total - len(active)
            n = min(want, room)
            if n > 0:
                self._launch(ss, primary, n, now)
                active = [t for t in ss.tasks if t.desired_status == "RUNNING"]

        # Stop tasks of older deployments, keeping minimumHealthyPercent.
        if old_active and not failed_no_rollback:
            healthy = sum(1 for t in active if t.last_status == "RUNNING")
            to_stop = []
            for t in sorted(old_active, key=lambda t: t.last_status == "RUNNING"):
                if t.last_status != "RUNNING":
                    to_stop.append(t)
                elif healthy - 1 >= min_healthy:
                    to_stop.append(t)
                    healthy -= 1
            if to_stop:
                self._scheduler_stop(ss, to_stop, now, primary.id)

        # Old deployments without tasks disappear.
        for d in list(ss.deployments[1:]):
            if not any(t._awssim.deployment is d and t.last_status != "STOPPED"
                       for t in ss.tasks):
                ss.deployments.remove(d)
                d.status = "INACTIVE"

        # Completion and steady state.
        prim_running = sum(1 for t in ss.tasks if t._awssim.deployment is primary
                           and t.desired_status == "RUNNING" and t.last_status == "RUNNING")
        prim_pending = sum(1 for t in ss.tasks if t._awssim.deployment is primary
                           and t.desired_status == "RUNNING" and t.last_status != "RUNNING")
        stable = (len(ss.deployments) == 1 and prim_running == desired and prim_pending == 0
                  and primary.rollout_state != "FAILED")
        if stable and primary.rollout_state == "IN_PROGRESS":
            primary.rollout_state = "COMPLETED"
            if not primary.rollback_of:
                primary.rollout_state_reason = f"ECS deployment {primary.id} completed."
            primary.updated_at = self.clock.wall(now)
            ss.last_completed = primary
            self._flush_events(ss, now)
            self._event(ss, now, f"(service {service.name}) (deployment {primary.id}) "
                                 "deployment completed.")
        if stable and not ss.steady:
            self._flush_events(ss, now)
            self._event(ss, now, f"(service {service.name}) has reached a steady state.")
        ss.steady = stable

    # --------------------------------------------------------------- events

    def _event(self, ss: ServiceSim, at: float, message: str) -> None:
        ss.service.events.insert(0, {
            "id": str(uuid.uuid4()),
            "createdAt": self.clock.wall(at),
            "message": message,
        })
        del ss.service.events[EVENT_CAP:]

    def _flush_events(self, ss: ServiceSim, now: float) -> None:
        """Write the buffered events in causal order (newest ends up first)."""
        name = ss.service.name
        for tg, n in ss.registered.items():
            self._event(ss, now, f"(service {name}) registered {n} targets in "
                                 f"(target-group {tg})")
        ss.registered = {}
        if ss.started:
            ids = " ".join(f"(task {i})" for i in ss.started)
            self._event(ss, now, f"(service {name}) has started {len(ss.started)} tasks: "
                                 f"{ids}.")
            ss.started = []
        if ss.stopped:
            ids = " ".join(f"(task {i})" for i in ss.stopped)
            self._event(ss, now, f"(service {name}) has stopped {len(ss.stopped)} running "
                                 f"tasks: {ids}.")
            ss.stopped = []
        for tg, n in ss.deregistered.items():
            self._event(ss, now, f"(service {name}) has begun draining connections on {n} "
                                 "tasks.")
            self._event(ss, now, f"(service {name}) deregistered {n} targets in "
                                 f"(target-group {tg})")
        ss.deregistered = {}

    def _render_service(self, ss: ServiceSim) -> None:
        service = ss.service
        live = [t for t in ss.tasks if t.desired_status == "RUNNING"]
        service.running_count = sum(1 for t in live if t.last_status == "RUNNING")
        service.pending_count = sum(1 for t in live if t.last_status != "RUNNING")
        service.deployments = [d.render(ss.tasks) for d in ss.deployments]


def _deployment_configuration(new: Any, old: dict[str, Any] | None) -> dict[str, Any]:
    cfg = dict(old or {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    })
    if not new:
        return cfg
    for key, value in new.items():
        if value is None:
            continue
        if key in ("maximumPercent", "minimumHealthyPercent"):
            if not isinstance(value, int) or value < 0:
                raise InvalidParameterException(f"{key} must be a non-negative integer.")
        cfg[key] = value
    if cfg.get("maximumPercent", 200) < 100:
        raise InvalidParameterException(
            "The maximumPercent parameter must be at least 100.")  # simplified
    return cfg


def install_patches() -> None:
    """moto's service APIs (Create/Update/Delete/List/DescribeServices)."""
    B = EC2ContainerServiceBackend
    R = ecs_responses.EC2ContainerServiceResponse

    # --- CreateService: refuse duplicates, adopt with deploymentConfiguration.
    orig_create_service_resp = R.create_service

    def create_service_resp(self: Any) -> Any:
        _sim()._request_params = self._get_params()
        try:
            return orig_create_service_resp(self)
        finally:
            _sim()._request_params = {}

    R.create_service = create_service_resp
    orig_create_service = B.create_service

    def create_service(self: B, cluster_str: str, service_name: str, *args: Any,
                       **kwargs: Any) -> Service:
        cluster = self._get_cluster(cluster_str)
        existing = self.services.get(f"{cluster.name}:{service_name}")
        if existing is not None and existing.status in ("ACTIVE", "DRAINING"):
            raise InvalidParameterException("Creation of service was not idempotent.")
        if not service_name:
            raise InvalidParameterException("Service name cannot be empty.")
        params = _sim()._request_params or {}
        desired = args[0] if args else kwargs.get("desired_count")
        if desired is not None and int(desired) < 0:
            raise InvalidParameterException("desiredCount can not be negative.")
        service = orig_create_service(self, cluster_str, service_name, *args, **kwargs)
        _sim().adopt_service(self, service, params)
        return service

    B.create_service = create_service

    def update_service(self: B, service_properties: dict[str, Any]) -> Service:
        return _sim().update_service(self, service_properties)

    B.update_service = update_service

    def delete_service(self: B, cluster_name: str, service_name: str, force: bool) -> Service:
        service = self._get_service(cluster_name, service_name)
        if service.status != "ACTIVE":
            raise ServiceNotActiveException()
        if service.desired_count > 0 and not force:
            raise InvalidParameterException(
                "The service cannot be stopped while it is scaled above 0.")
        _sim().delete_service(service)
        return service

    B.delete_service = delete_service

    # --- ListServices: no INACTIVE services; paginated.
    def list_services(self: B, cluster_str: str, scheduling_strategy: str | None = None,
                      launch_type: str | None = None) -> list[str]:
        cluster = self._get_cluster(cluster_str)
        arns = []
        for service in self.services.values():
            if service.cluster_name != cluster.name or service.status == "INACTIVE":
                continue
            if scheduling_strategy is not None and service.scheduling_strategy != scheduling_strategy:
                continue
            if launch_type is not None and service.launch_type != launch_type:
                continue
            arns.append(service.arn)
        return sorted(arns)

    B.list_services = list_services
    # --- DescribeServices: MISSING failures carry the long ARN format.
    orig_describe_services = B.describe_services

    def describe_services(self: B, cluster_str: str, names: list[str]) -> Any:
        services, failures = orig_describe_services(self, cluster_str, names)
        cluster = self._get_cluster(cluster_str)
        for f in failures:
            name = f["arn"].split("/")[-1]
            if f["arn"].endswith(f":service/{name}") and self.enable_long_arn_for_name(
                    name="serviceLongArnFormat"):
                f["arn"] = f["arn"][: -len(name)] + f"{cluster.name}/{name}"
        return services, failures

    B.describe_services = describe_services
