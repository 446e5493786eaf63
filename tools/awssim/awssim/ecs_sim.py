"""ECS that rolls out: runtime patches of moto's ECS backend plus a scheduler.

moto keeps the resources (clusters, task definitions, services, tasks) and
speaks the wire protocol; this module adds what ECS does over time:
deployments (PRIMARY/ACTIVE, rolloutState), the service scheduler
(minimumHealthyPercent/maximumPercent), task lifecycle
(PROVISIONING -> PENDING -> RUNNING -> ... -> STOPPED), service events with
the real ECS wording, the deployment circuit breaker, DRAINING -> INACTIVE,
and target registration in ELBv2 target groups.

References: Amazon ECS Developer Guide, "Task lifecycle", "Deploy Amazon ECS
services by replacing tasks" (rolling update), "How the Amazon ECS
deployment circuit breaker detects failures", "Viewing Amazon ECS service
event messages".

Everything here runs under `Simulator.lock`; the HTTP layer holds the same
lock around every moto request.
"""

from __future__ import annotations

import math
import random
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from moto.core.exceptions import ServiceException
from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ec2.utils import generate_dns_from_ip
from moto.ecs import models as ecs_models
from moto.ecs import responses as ecs_responses
from moto.ecs.exceptions import (
    ClusterNotFoundException,
    InvalidParameterException,
    ServiceNotFoundException,
)
from moto.ecs.models import EC2ContainerServiceBackend, Service, Task
from moto.elbv2.models import elbv2_backends

from .config import ImageRule, Settings

EVENT_CAP = 100
ACTIVE_TASK_STATES = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING")


class ServiceNotActiveException(ServiceException):
    code = "ServiceNotActiveException"
    message = "Service was not ACTIVE."


def _new_deployment_id() -> str:
    return f"ecs-svc/{random.randint(10**18, 10**19 - 1)}"


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


class TaskSim:
    def __init__(self, kind: str) -> None:
        self.kind = kind  # "run" (RunTask/StartTask) or "service"
        self.service: ServiceSim | None = None
        self.deployment: DeploymentSim | None = None
        self.next_at: float | None = None
        self.exit_at: float | None = None
        self.exit_codes: dict[str, int] = {}
        self.fail_reason: str | None = None
        self.targets: list[tuple[str, str, dict[str, Any]]] = []  # (region, tg arn, target)
        self.stopped_sim_at: float | None = None
        self.unexpected = False


class Simulator:
    """Holds simulated time, the scheduler and the moto patches."""

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

    def set_time_scale(self, scale: float) -> None:
        with self.lock:
            self.advance()
            self.clock.set_scale(scale)
            self.last_sim = self.clock.now()

    def clear(self) -> None:
        """Forget all simulated services and tasks (after a moto reset)."""
        with self.lock:
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

    def _expire(self, now: float) -> None:
        ttl = self.settings.get("stoppedTaskTtlSeconds")
        keep = []
        for task in self.tasks:
            sim = task._awssim
            if sim.stopped_sim_at is not None and now - sim.stopped_sim_at > ttl:
                backend = task._backend
                backend.tasks.get(task.cluster_name, {}).pop(task.task_arn, None)
                if sim.service is not None and task in sim.service.tasks:
                    sim.service.tasks.remove(task)
                    self._touch(sim.service)
            else:
                keep.append(task)
        self.tasks = keep

    # ------------------------------------------------------------ tasks

    def adopt_task(self, task: Task, kind: str = "run") -> None:
        """Take over a freshly constructed moto Task."""
        now = self._now()
        wall = self.clock.wall(now)
        task._awssim = TaskSim(kind)
        task.last_status = "PROVISIONING"
        task.desired_status = "RUNNING"
        task.created_at = wall
        task.version = 1
        task.stopped_reason = None
        task.stop_code = None
        task.health_status = "UNKNOWN"
        task.connectivity = "CONNECTED"
        task.connectivity_at = wall
        task_def = task._backend.describe_task_definition(task.task_definition_arn)
        task.cpu = str(task_def.cpu) if getattr(task_def, "cpu", None) else None
        task.memory = str(task_def.memory) if getattr(task_def, "memory", None) else None
        if task.launch_type == "FARGATE":
            task.platform_version = task.platform_version or "1.4.0"
            task.platform_family = "Linux"
        ip = None
        eni_id = None
        for att in task.attachments:
            for detail in att.get("details", []):
                if detail["name"] == "privateIPv4Address":
                    ip = detail["value"]
                if detail["name"] == "networkInterfaceId":
                    eni_id = detail["value"]
                if detail["name"] == "subnetId":
                    try:
                        subnet = ec2_backends[task._account_id][task.region_name].get_subnet(
                            detail["value"]
                        )
                        task.availability_zone = subnet.availability_zone
                    except Exception:
                        pass
        task._awssim_ip = ip
        task._awssim_eni = eni_id
        task.containers = []
        for cdef in task_def.container_definitions:
            c: dict[str, Any] = {
                "containerArn": f"arn:aws:ecs:{task.region_name}:{task._account_id}:container/"
                f"{task.cluster_name}/{task.id}/{uuid.uuid4()}",
                "taskArn": task.task_arn,
                "name": cdef.get("name"),
                "image": cdef.get("image"),
                "lastStatus": "PENDING",
                "healthStatus": "UNKNOWN",
            }
            if cdef.get("cpu") is not None:
                c["cpu"] = str(cdef.get("cpu"))
            if cdef.get("memory") is not None:
                c["memory"] = str(cdef.get("memory"))
            if ip:
                c["networkInterfaces"] = [
                    {"attachmentId": task.attachments[0]["id"], "privateIpv4Address": ip}
                ]
            c["_essential"] = cdef.get("essential", True) is not False
            task.containers.append(c)
        # Fault rules, evaluated once per task at creation.
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
        sim.next_at = now + self.settings.get("provisioningSeconds")
        self.tasks.append(task)

    def _set_containers(self, task: Task, status: str, reason: str | None = None,
                        exit_codes: dict[str, int] | None = None) -> None:
        for c in task.containers:
            c["lastStatus"] = status
            if reason:
                c["reason"] = reason
            if exit_codes is not None:
                c["exitCode"] = exit_codes.get(c["name"], 0)

    def _advance_task(self, task: Task, now: float) -> None:
        sim: TaskSim = task._awssim
        while sim.next_at is not None and sim.next_at <= now:
            at = sim.next_at
            wall = self.clock.wall(at)
            status = task.last_status
            sim.next_at = None
            self._touch(sim.service)
            task.version = getattr(task, "version", 1) + 1
            if status == "PROVISIONING":
                task.last_status = "PENDING"
                task.pull_started_at = wall
                sim.next_at = at + self.settings.get("pendingSeconds") + sim.start_delay
            elif status == "PENDING":
                if sim.fail_reason:
                    task.pull_stopped_at = wall
                    self._begin_stop(task, at, "TaskFailedToStart", sim.fail_reason,
                                     unexpected=True, container_reason=sim.fail_reason)
                    continue
                task.last_status = "RUNNING"
                task.pull_stopped_at = wall
                task.started_at = wall
                task.health_status = "UNKNOWN"
                self._set_containers(task, "RUNNING")
                self._register_targets(task)
                exit_after = sim.exit_after
                if exit_after is None and sim.kind == "run":
                    exit_after = self.settings.get("runTaskSeconds")
                if exit_after is not None:
                    sim.exit_at = at + exit_after
                    sim.next_at = sim.exit_at
            elif status == "RUNNING":
                if task.desired_status == "STOPPED":
                    # deregistration delay finished
                    self._set_containers(task, "STOPPED", None, sim.exit_codes)
                    task.execution_stopped_at = wall
                    task.last_status = "DEACTIVATING"
                    sim.next_at = at + self.settings.get("stoppingSeconds") / 3
                elif sim.exit_at is not None:
                    task.execution_stopped_at = wall
                    self._begin_stop(task, at, "EssentialContainerExited",
                                     "Essential container in task exited",
                                     unexpected=True, exit_codes=dict(sim.exit_codes))
            elif status == "DEACTIVATING":
                task.last_status = "STOPPING"
                sim.next_at = at + self.settings.get("stoppingSeconds") / 3
            elif status == "STOPPING":
                task.last_status = "DEPROVISIONING"
                sim.next_at = at + self.settings.get("stoppingSeconds") / 3
            elif status == "DEPROVISIONING":
                task.last_status = "STOPPED"
                task.stopped_at = wall
                sim.stopped_sim_at = at
                self._release_eni(task)

    def _begin_stop(self, task: Task, at: float, stop_code: str, reason: str,
                    unexpected: bool = False, exit_codes: dict[str, int] | None = None,
                    container_reason: str | None = None) -> None:
        """Set desiredStatus STOPPED and start the stop sequence."""
        sim: TaskSim = task._awssim
        if task.last_status == "STOPPED" or task.desired_status == "STOPPED":
            return
        wall = self.clock.wall(at)
        self._touch(sim.service)
        task.desired_status = "STOPPED"
        task.stopping_at = wall
        task.stop_code = stop_code
        task.stopped_reason = reason
        sim.unexpected = unexpected
        sim.exit_at = None
        status = task.last_status
        if status == "RUNNING":
            if exit_codes is None:
                exit_codes = {c["name"]: 143 for c in task.containers}
            if sim.targets and not unexpected:
                # containers keep running while the load balancer drains
                sim.exit_codes = exit_codes
                self._deregister_targets(task)
                sim.next_at = at + self.settings.get("deregistrationDelaySeconds")
                return
            self._set_containers(task, "STOPPED", container_reason, exit_codes)
            self._deregister_targets(task)
            task.last_status = "DEACTIVATING"
        else:
            # never ran: no exit codes
            self._set_containers(task, "STOPPED", container_reason)
            task.last_status = "STOPPING"
        if getattr(task, "execution_stopped_at", None) is None:
            task.execution_stopped_at = wall
        sim.next_at = at + self.settings.get("stoppingSeconds") / 3
        if unexpected and sim.service is not None:
            self._task_failed(sim.service, task, at)

    def stop_task_by_user(self, task: Task, reason: str | None) -> None:
        now = self._now()
        self._begin_stop(task, now, "UserInitiated", reason or "Task stopped by user")

    def _release_eni(self, task: Task) -> None:
        for att in task.attachments:
            att["status"] = "DELETED"
        eni_id = getattr(task, "_awssim_eni", None)
        if not eni_id:
            return
        try:
            ec2_backends[task._account_id][task.region_name].delete_network_interface(eni_id)
        except Exception:
            pass

    # --------------------------------------------------------- load balancers

    def _register_targets(self, task: Task) -> None:
        sim: TaskSim = task._awssim
        ss = sim.service
        if ss is None or not task._awssim_ip:
            return
        for lb in ss.service.load_balancers or []:
            tg = lb.get("targetGroupArn")
            if not tg:
                continue
            region = tg.split(":")[3]
            target = {"Id": task._awssim_ip, "Port": int(lb.get("containerPort") or 80)}
            try:
                elbv2_backends[task._account_id][region].register_targets(tg, [target])
            except Exception:
                continue
            sim.targets.append((region, tg, target))
            ss.registered[tg] = ss.registered.get(tg, 0) + 1

    def _deregister_targets(self, task: Task) -> None:
        sim: TaskSim = task._awssim
        ss = sim.service
        for region, tg, target in sim.targets:
            try:
                elbv2_backends[task._account_id][region].deregister_targets(tg, [target])
            except Exception:
                continue
            if ss is not None:
                ss.deregistered[tg] = ss.deregistered.get(tg, 0) + 1
        sim.targets = []

    # ------------------------------------------------------------- services

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

    # -------------------------------------------------------------- patches

    def install(self) -> None:
        """Patch moto's ECS (and EC2 ENI) models in place; idempotent."""
        if getattr(ecs_models, "_awssim_installed", False):
            ecs_models._awssim_sim = self
            return
        ecs_models._awssim_installed = True
        ecs_models._awssim_sim = self
        _install_patches()


def _sim() -> Simulator:
    return ecs_models._awssim_sim


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


def _install_patches() -> None:
    # --- moto 5.2.1 bug: ENIs without DNS hostnames lack private_dns_name.
    def _dns_get(self: NetworkInterface) -> str | None:
        value = self.__dict__.get("_awssim_private_dns_name")
        if value:
            return value
        ip = getattr(self, "private_ip_address", None)
        return generate_dns_from_ip(ip) if ip else None

    def _dns_set(self: NetworkInterface, value: str | None) -> None:
        self.__dict__["_awssim_private_dns_name"] = value

    NetworkInterface.private_dns_name = property(_dns_get, _dns_set)

    # --- tasks: the simulator owns the lifecycle, not moto's state manager.
    Task.status = property(lambda self: self._status,
                           lambda self, value: setattr(self, "_status", value))
    orig_task_init = Task.__init__

    def task_init(self: Task, *args: Any, **kwargs: Any) -> None:
        orig_task_init(self, *args, **kwargs)
        self.execution_stopped_at = None
        _sim().adopt_task(self)

    Task.__init__ = task_init

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

    # --- ListTasks: serviceName filter, desiredStatus defaults to RUNNING.
    def list_tasks(self: B, cluster_str: str | None = None, container_instance: str | None = None,
                   family: str | None = None, started_by: str | None = None,
                   service_name: str | None = None, desiredStatus: str | None = None) -> list[Task]:
        cluster = self._get_cluster(cluster_str or "default")
        result = []
        family_arns = set(self.list_task_definitions(family)) if family else None
        for task in self.tasks.get(cluster.name, {}).values():
            if container_instance and container_instance not in (task.container_instance_arn or ""):
                continue
            if family_arns is not None and task.task_definition_arn not in family_arns:
                continue
            if started_by and task.started_by != started_by:
                continue
            if service_name:
                ss = getattr(task, "_awssim", None)
                ss = ss.service if ss else None
                if ss is None or ss.service.name != service_name.split("/")[-1]:
                    continue
            if task.desired_status != (desiredStatus or "RUNNING"):
                continue
            result.append(task)
        result.sort(key=lambda t: t.created_at)
        return result

    B.list_tasks = list_tasks

    # --- RunTask: FARGATE and EC2 (virtual capacity when no instances).
    orig_run_task = B.run_task

    def run_task(self: B, cluster_str: str, task_definition_str: str, count: int,
                 overrides: Any, started_by: str, tags: Any, launch_type: str | None,
                 networking_configuration: Any = None, group: str | None = None,
                 platform_version: str | None = None) -> list[Task]:
        if count is not None and not (1 <= int(count) <= 10):
            raise InvalidParameterException("count must be between 1 and 10.")
        cluster = self._get_cluster(cluster_str)
        instances = [ci for ci in self.container_instances.get(cluster.name, {}).values()
                     if ci.status == "ACTIVE"]
        if launch_type not in ("FARGATE", "EXTERNAL") and instances:
            return orig_run_task(self, cluster_str, task_definition_str, count, overrides,
                                 started_by, tags, launch_type, networking_configuration,
                                 group, platform_version)
        task_definition = self.describe_task_definition(task_definition_str)
        self.tasks.setdefault(cluster.name, {})
        tasks = []
        for _ in range(count or 1):
            task = Task(
                cluster=cluster, task_definition=task_definition, container_instance_arn=None,
                resource_requirements=None, backend=self,
                group=group or f"family:{task_definition.family}",
                overrides=overrides or {}, started_by=started_by or "", tags=tags or [],
                launch_type=launch_type or "", networking_configuration=networking_configuration,
                platform_version=platform_version,
            )
            tasks.append(task)
            self.tasks[cluster.name][task.task_arn] = task
        return tasks

    B.run_task = run_task

    def stop_task(self: B, cluster_str: str, task_str: str, reason: str) -> Task:
        cluster = self._get_cluster(cluster_str)
        task_id = task_str.split("/")[-1]
        for arn, task in self.tasks.get(cluster.name, {}).items():
            if arn.split("/")[-1] == task_id:
                _sim().stop_task_by_user(task, reason)
                return task
        raise InvalidParameterException("The referenced task was not found.")

    B.stop_task = stop_task

    # --- DescribeTasks: exact matches, MISSING failures.
    def describe_tasks_resp(self: Any) -> Any:
        cluster = self._get_param("cluster", "default")
        wanted = self._get_param("tasks", [])
        if not wanted:
            raise InvalidParameterException("Tasks cannot be empty.")
        backend = self.ecs_backend
        c = backend._get_cluster(cluster)
        by_id = {arn.split("/")[-1]: t for arn, t in backend.tasks.get(c.name, {}).items()}
        found, failures = [], []
        for ref in wanted:
            task = by_id.get(ref.split("/")[-1])
            if task is None:
                arn = ref if ref.startswith("arn:") else (
                    f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:task/{c.name}/{ref}")
                failures.append({"arn": arn, "reason": "MISSING"})
            else:
                found.append(task)
        if "TAGS" in (self._get_param("include", []) or []):
            self._include_in_response(ecs_responses.DESCRIBE_TASKS_TAGS)
        else:
            self._exclude_from_response(ecs_responses.DESCRIBE_TASKS_TAGS)
        return ecs_responses.ActionResult({"tasks": found, "failures": failures})

    R.describe_tasks = describe_tasks_resp

    # --- RunTask honours clientToken: a retried call gets the first call's tasks, never new ones.
    orig_run_task_resp = R.run_task
    run_task_tokens: dict[tuple[str, str, str], list[str]] = {}

    def run_task_resp(self: Any) -> Any:
        token = self._get_param("clientToken")
        if token is not None and (not isinstance(token, str) or not 1 <= len(token) <= 64):
            raise InvalidParameterException("clientToken must be 1 to 64 characters.")
        if not token:
            return orig_run_task_resp(self)
        backend = self.ecs_backend
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        key = (backend.account_id, cluster.name, token)
        arns = run_task_tokens.get(key)
        if arns is None:
            result = orig_run_task_resp(self)
            tasks = result.result.get("tasks", []) if isinstance(result.result, dict) else []
            run_task_tokens[key] = [t.task_arn for t in tasks]
            return result
        by_arn = backend.tasks.get(cluster.name, {})
        return ecs_responses.ActionResult({"tasks": [by_arn[a] for a in arns if a in by_arn], "failures": []})

    R.run_task = run_task_resp

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

    # Containers are dicts with a private "_essential" key; the serializer
    # only reads keys of the model, so it stays internal.
    _ = (Callable, ClusterNotFoundException, ServiceNotFoundException)
